/* reservation: decides bookings (accepted or rejected for overlap), cancellations and
 * blocks of a car's nights; keeps the nights each car has held, so a check costs the
 * length of the stay and not the history, and each car's agenda of what holds them. */
#include "reservation.h"
#include "limit.h"
#include "price.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *booking_next(enum event_kind kind)
{
	return kind < EV_COUNT ? event_type_of(kind)->status : NULL;
}

int booking_holds(const char *status)
{
	return strcmp(status, ST_RESERVED) == 0 || strcmp(status, ST_RENTED) == 0;
}

int booking_may_become(const char *now, const char *next)
{
	static const char *const steps[][2] = {
		{ST_RESERVED, ST_RENTED},	{ST_RENTED, ST_RETURNED},
		{ST_RESERVED, ST_RES_CANCELED}, {ST_RENTED, ST_PAY_CANCELED},
		{ST_RES_CANCELED, ST_PAY_CANCELED}, {ST_RETURNED, ST_PAY_CANCELED},
	};

	if (now == NULL || *now == '\0')
		return 1;
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		if (strcmp(now, steps[i][0]) == 0 && strcmp(next, steps[i][1]) == 0)
			return 1;
	return 0;
}

int booking_follow(struct store *s, int ctx, const char *res, const char *status,
		   void (*save)(struct store *s, const struct kv *r), struct rerr *e)
{
	struct kv r;
	int rc = rec_booking(s, ctx, res, &r, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (booking_may_become(kv_get(&r, "status"), status)) {
		kv_set(&r, "status", status);
		save(s, &r);
	}
	kv_free(&r);
	return 0;
}

const char *car_status(long long rented, long long reserved)
{
	return rented > 0 ? ST_RENTED : reserved > 0 ? ST_RESERVED : ST_AVAILABLE;
}

int reservation_get(struct store *s, const char *res, struct kv *r, struct rerr *e)
{
	return rec_booking(s, CTX_RESERVATION, res, r, e);
}

/* The rule that no night of [from, to) of car is held, by a booking or a block: else
 * RX_REFUSED naming what holds the first night held. */
static int check_free(struct store *s, const char *car, const char *from, const char *to,
		      struct rerr *e)
{
	char holder[ID_LEN], day[11];
	struct kv other;
	long d;
	int rc = rec_first_held(s, car, date_days(from), date_days(to), &d, holder, e), blk;

	if (rc != 1)
		return rc;
	blk = valid_id(holder, "blk");
	rc = blk ? rec_block(s, holder, &other, e) : reservation_get(s, holder, &other, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		/* The night is held all the same, by what has no record here. */
		date_format(day, d);
		return rerr_set(e, RX_REFUSED, "%s: already reserved on %s", car, day);
	}
	rerr_set(e, RX_REFUSED, "%s: %s from %s to %s", car, blk ? "car blocked" : "already reserved",
		 kv_get(&other, "from"), kv_get(&other, "to"));
	/* A booking paid frees its nights when its payment is canceled or it comes back
	 * early; one reserved, or a block, only by this context's own steps. */
	if (!blk && strcmp(kv_get(&other, "status") ?: "", ST_RENTED) == 0)
		context_rests_on(e, 1u << CTX_PAYMENT | 1u << CTX_RENTAL);
	kv_free(&other);
	return -1;
}

int reservation_check_request(const char *car, const char *from, const char *to, const char *today,
			      struct rerr *e)
{
	if (limit_stay(from, to, today, e) < 0)
		return -1;
	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: not a car id", car);
	return 0;
}

/* The car as the reservation context knows it (its prices): 0, or RX_REFUSED. */
static int known_car(struct store *s, const char *car, struct kv *c, struct rerr *e)
{
	int rc = rec_car(s, CTX_RESERVATION, car, c, e);

	if (rc == 1) /* management may have registered it */
		return rerr_set(e, RX_REFUSED, "%s: unknown car", car), context_rests_on(e, 1u << CTX_MANAGEMENT);
	return rc;
}

/* The stay's nights, and its price at the car's prices: 0, RX_REFUSED (no such car)
 * or RX_DATA (no price), or -1 with RX_IO. */
static int stay_price(struct store *s, const char *car, const char *from, const char *to,
		      long long *nights, long long *amount, struct rerr *e)
{
	struct kv c;
	int rc = known_car(s, car, &c, e);

	if (rc < 0)
		return -1;
	*nights = date_days(to) - date_days(from);
	rc = price_stay(&c, *nights, amount, e);
	kv_free(&c);
	return rc;
}

int reservation_check_new(struct store *s, const char *car, const char *from, const char *to,
			  const char *today, long long *nights, long long *amount, struct rerr *e)
{
	/* The stay's day is checked before its price, and said first; but a booking
	 * rejected for its day shows its nights and price, as one accepted would. */
	struct rerr day = {0};
	int day_ok = reservation_check_request(car, from, to, today, &day) == 0;

	if (!day_ok && (limit_dates(from, to, NULL) < 0 || !valid_name(car))) {
		*e = day; /* no stay to price */
		return -1;
	}
	if (stay_price(s, car, from, to, nights, amount, e) < 0) {
		if (!day_ok && e->code != RX_IO)
			*e = day;
		return -1;
	}
	if (!day_ok) {
		*e = day;
		return -1;
	}
	return check_free(s, car, from, to, e);
}

int reservation_free_cars(struct store *s, const char *from, const char *to, struct kv **cars,
			  size_t *n, struct rerr *e)
{
	long f = date_days(from), t = date_days(to);
	size_t kept = 0;
	/* The fleet in one read, then its held nights car by car in the order it was read
	 * (by shard): the lookups of one shard's cars share their folders. */
	int rc = rec_cars(s, CTX_RESERVATION, cars, n, e);

	for (size_t i = 0; rc == 0 && i < *n; i++) {
		struct kv *c = &(*cars)[i], keep;
		struct rerr why = {0};
		char holder[ID_LEN];
		long long amount;
		long day;
		int held = price_stay(c, t - f, &amount, &why) < 0 ? 1 :
			   rec_first_held(s, kv_get(c, "car") ?: "", f, t, &day, holder, e);

		if (held != 0) {
			rc = held < 0 ? -1 : 0;
			continue;
		}
		kv_setnum(c, "amount", amount);
		keep = *c; /* the free ones first */
		*c = (*cars)[kept];
		(*cars)[kept++] = keep;
	}
	if (rc < 0)
		return -1;
	for (size_t i = kept; i < *n; i++)
		kv_free(&(*cars)[i]);
	*n = kept;
	context_sort_cars(*cars, kept);
	return 0;
}

int reservation_check_block(struct store *s, const char *car, const char *from, const char *to,
			    const char *today, struct rerr *e)
{
	struct kv c;

	if (reservation_check_request(car, from, to, today, e) < 0 || known_car(s, car, &c, e) < 0)
		return -1;
	kv_free(&c);
	return check_free(s, car, from, to, e);
}

int reservation_block(struct store *s, const char *blk, struct kv *b, struct rerr *e)
{
	return rec_block(s, blk, b, e);
}

int reservation_check_unblock(struct store *s, const char *blk, struct rerr *e)
{
	struct kv b;
	int rc = reservation_block(s, blk, &b, e);
	const char *st;

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown block", blk);
	st = kv_get(&b, "status") ? kv_get(&b, "status") : "";
	if (strcmp(st, ST_UNBLOCKED) == 0)
		rc = rerr_set(e, RX_REFUSED, "%s: already unblocked", blk);
	else if (strcmp(st, ST_BLOCKED) != 0)
		rc = rerr_set(e, RX_REFUSED, "%s: is %s, it holds no night", blk, st);
	kv_free(&b);
	return rc;
}

int reservation_check_cancel(struct store *s, const char *res, struct rerr *e)
{
	struct kv r;
	int rc = reservation_get(s, res, &r, e);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_TEMP, "%s: not yet applied", res);
	if (strcmp(kv_get(&r, "status"), ST_RESERVED) != 0)
		rc = rerr_set(e, RX_REFUSED, "%s: is %s, only a RESERVED reservation can be canceled",
			      res, kv_get(&r, "status"));
	kv_free(&r);
	return rc;
}

/* ---- the agenda ---- */

/* The agenda's row of a booking or block r (its id in idkey), in status; a block's
 * reason with it. */
static void agenda_put(struct store *s, const struct kv *r, const char *idkey, const char *status)
{
	struct kv row;

	kv_init(&row);
	kv_set(&row, "reservation", kv_get(r, idkey));
	if (kv_get(r, "customer"))
		kv_set(&row, "customer", kv_get(r, "customer"));
	kv_set(&row, "from", kv_get(r, "from"));
	kv_set(&row, "to", kv_get(r, "to"));
	kv_set(&row, "status", status);
	if (kv_get(r, "reason")) /* a block's: why the car is out of service */
		kv_set(&row, "reason", kv_get(r, "reason"));
	rec_agenda_put(s, kv_get(r, "car"), &row);
	kv_free(&row);
}

int reservation_agenda(struct store *s, const char *car, struct kv **rows, size_t *n,
		       struct rerr *e)
{
	int rc = rec_agenda(s, car, rows, n, e);

	context_sort(*rows, *n);
	return rc;
}

struct gather {
	struct kv *v;
	size_t n;
};

static int gather_car(const char *car, struct kv *rows, size_t n, void *arg, struct rerr *e)
{
	struct gather *g = arg;

	g->v = xrealloc(g->v, (g->n + n + 1) * sizeof *g->v);
	for (size_t i = 0; i < n; i++) {
		kv_init(&g->v[g->n]);
		kv_set(&g->v[g->n], "car", car);
		kv_copy(&g->v[g->n++], &rows[i]);
	}
	return 0;
}

static int cmp_car_from(const void *a, const void *b)
{
	int c = strcmp(kv_get(a, "car"), kv_get(b, "car"));

	if (c == 0)
		c = strcmp(kv_get(a, "from") ?: "", kv_get(b, "from") ?: "");
	return c ? c : strcmp(kv_get(a, "reservation") ?: "", kv_get(b, "reservation") ?: "");
}

int reservation_holds(struct store *s, char *const *cars, size_t ncars, struct kv **recs,
		      size_t *n, struct rerr *e)
{
	struct gather g = {NULL, 0};
	int rc = 0;

	if (ncars == 0)
		rc = rec_agendas(s, gather_car, &g, e);
	for (size_t i = 0; rc == 0 && i < ncars; i++) {
		struct kv *rows;
		size_t nrows;
		if ((rc = rec_agenda(s, cars[i], &rows, &nrows, e)) == 0)
			rc = gather_car(cars[i], rows, nrows, &g, e);
		store_records_free(rows, nrows);
	}
	if (g.n > 1)
		qsort(g.v, g.n, sizeof *g.v, cmp_car_from);
	*recs = g.v;
	*n = g.n;
	return rc;
}

/* What holds a night as the calendar names it: a block, or a booking as it stands. */
static int holder_status(struct store *s, const char *holder, const char **status, struct rerr *e)
{
	struct kv r;
	int rc;

	*status = ST_BLOCKED;
	if (valid_id(holder, "blk") || (rc = reservation_get(s, holder, &r, e)) == 1)
		return 0; /* a night held by what has no record here is held all the same */
	if (rc < 0)
		return -1;
	*status = kv_get(&r, "status") && !strcmp(kv_get(&r, "status"), ST_RENTED) ? ST_RENTED : ST_RESERVED;
	kv_free(&r);
	return 0;
}

int reservation_month(struct store *s, const char *car, int year, int month,
		      const char *days[31], struct rerr *e)
{
	char holders[31][ID_LEN], last[ID_LEN] = "";
	const char *status = NULL;

	/* The month's record of held nights, not the car's agenda: what is booked in
	 * other months costs nothing here. */
	if (rec_month(s, car, year, month, holders, e) < 0)
		return -1;
	for (int d = 0; d < 31; d++) {
		days[d] = NULL;
		if (holders[d][0] == '\0')
			continue;
		if (strcmp(holders[d], last) != 0 && holder_status(s, holders[d], &status, e) < 0)
			return -1;
		memcpy(last, holders[d], ID_LEN);
		days[d] = status;
	}
	return 0;
}

static int kind_rank(const char *k)
{
	return !strcmp(k, "pickup") ? 0 : !strcmp(k, "return") ? 1 : !strcmp(k, "overdue") ? 2 : 3;
}

static int cmp_due(const void *a, const void *b)
{
	int c = kind_rank(kv_get(a, "kind")) - kind_rank(kv_get(b, "kind"));

	return c ? c : cmp_car_from(a, b);
}

int reservation_due(struct store *s, const char *day, const char *customer, struct kv **recs,
		    size_t *n, struct rerr *e)
{
	struct kv *all = NULL;
	size_t nall = 0;
	int rc = reservation_holds(s, NULL, 0, &all, &nall, e);

	*recs = NULL;
	*n = 0;
	for (size_t i = 0; rc == 0 && i < nall; i++) {
		const struct kv *r = &all[i];
		const char *st = kv_get(r, "status") ?: "", *f = kv_get(r, "from") ?: "";
		const char *t = kv_get(r, "to") ?: "", *who = kv_get(r, "customer"), *kind = NULL;
		int rented = !strcmp(st, ST_RENTED), reserved = !strcmp(st, ST_RESERVED);
		if (who == NULL || (customer && strcmp(who, customer) != 0))
			continue; /* a block, or another's booking */
		if (!strcmp(f, day) && (rented || reserved))
			kind = "pickup";
		else if (rented && !strcmp(t, day))
			kind = "return";
		else if (rented && strcmp(t, day) < 0)
			kind = "overdue";
		else if (reserved && strcmp(t, day) < 0) /* never paid: it holds its car until canceled */
			kind = "no-show";
		if (kind == NULL)
			continue;
		*recs = xrealloc(*recs, (*n + 1) * sizeof **recs);
		struct kv *o = &(*recs)[(*n)++];
		kv_init(o);
		kv_set(o, "kind", kind);
		kv_set(o, "reservation", kv_get(r, "reservation"));
		kv_set(o, "car", kv_get(r, "car"));
		kv_set(o, "customer", who);
		kv_set(o, "from", f);
		kv_set(o, "to", t);
		kv_set(o, "status", st);
	}
	store_records_free(all, nall);
	if (*n > 1)
		qsort(*recs, *n, sizeof **recs, cmp_due);
	return rc;
}

/* ---- applying ---- */

static int hold_nights(struct store *s, const struct kv *r, int hold, struct rerr *e)
{
	const char *res = kv_get(r, "reservation"), *car = kv_get(r, "car");
	long from = date_days(kv_get(r, "from")), to = date_days(kv_get(r, "to"));

	if (hold) {
		agenda_put(s, r, "reservation", kv_get(r, "status"));
		return rec_hold(s, car, from, to, res, e);
	}
	rec_agenda_del(s, car, res);
	return rec_free(s, car, from, to, res, e);
}

/* The booking's record, and its row in its customer's list. */
static void save(struct store *s, const struct kv *r)
{
	struct kv row;

	rec_booking_put(s, CTX_RESERVATION, r);
	kv_init(&row);
	kv_set(&row, "reservation", kv_get(r, "reservation"));
	rec_row_put(s, CTX_RESERVATION, OWNER_CUSTOMER, kv_get(r, "customer"), &row);
	kv_free(&row);
}

/* The lines the booking r was priced by, kept with it for its receipt. */
static int keep_lines(struct store *s, struct kv *r, struct rerr *e)
{
	struct price_lines l;
	char text[PRICE_LINES_LEN];
	struct kv c;
	int rc = known_car(s, kv_get(r, "car"), &c, e);

	if (rc == 0) {
		rc = price_stay_lines(&c, kv_num(r, "nights", 0), &l, e);
		kv_free(&c);
	}
	if (rc < 0)
		return -1;
	price_lines_format(text, &l);
	kv_set(r, "lines", text);
	return 0;
}

static int apply_reserve(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *from = kv_get(&ev->f, "from"), *to = kv_get(&ev->f, "to");
	char today[11];
	long long nights = 0, amount = 0;
	struct rerr why = {0};
	struct kv r, *o;
	int rc;

	/* "today" is the day the event was admitted, in the log: a rebuild decides the same. */
	context_today(today, ev);
	rc = reservation_check_new(s, car, from, to, today, &nights, &amount, &why);
	if (rc < 0 && why.code == RX_IO) {
		*e = why;
		return -1;
	}
	kv_init(&r);
	kv_set(&r, "reservation", kv_get(&ev->f, "id"));
	kv_set(&r, "car", car);
	kv_set(&r, "customer", kv_get(&ev->f, "actor"));
	kv_set(&r, "from", from);
	kv_set(&r, "to", to);
	kv_setnum(&r, "nights", nights);
	kv_setnum(&r, "amount", amount);
	/* The outcome carries the booking as decided; the status is its type. */
	o = outbox_add(out, rc == 0 ? EV_RES_ACCEPTED : EV_RES_REJECTED, ev);
	kv_copy(o, &r);
	if (rc < 0)
		kv_set(o, "reason", why.msg);
	kv_set(&r, "status", rc == 0 ? ST_RESERVED : ST_REJECTED);
	if (rc < 0)
		kv_set(&r, "reason", why.msg);
	else if (keep_lines(s, &r, e) < 0) {
		kv_free(&r);
		return -1;
	}
	save(s, &r);
	rc = rc == 0 ? hold_nights(s, &r, 1, e) : 0;
	kv_free(&r);
	return rc;
}

static int apply_cancel(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *res = kv_get(&ev->f, "reservation");
	struct rerr why = {0};
	struct kv r;

	if (reservation_check_cancel(s, res, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_RESERVATION, &why, e);
	if (reservation_get(s, res, &r, e) != 0)
		return -1;
	kv_set(&r, "status", ST_RES_CANCELED);
	save(s, &r);
	int rc = hold_nights(s, &r, 0, e);
	struct kv *o = outbox_add(out, EV_RES_CANCELED, ev);
	kv_set(o, "car", kv_get(&r, "car"));
	kv_set(o, "customer", kv_get(&r, "customer"));
	kv_free(&r);
	return rc;
}

/* Another context decided something about a booking: follow its status. */
static int apply_status(struct store *s, const struct event *ev, const char *status, struct rerr *e)
{
	struct kv r;
	int rc = reservation_get(s, kv_get(&ev->f, "reservation"), &r, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (!booking_may_become(kv_get(&r, "status"), status)) {
		kv_free(&r);
		return 0;
	}
	if (booking_holds(kv_get(&r, "status")) && !booking_holds(status))
		rc = hold_nights(s, &r, 0, e);
	else if (booking_holds(status))
		agenda_put(s, &r, "reservation", status);
	kv_set(&r, "status", status);
	save(s, &r);
	kv_free(&r);
	return rc;
}

/* A block of a car's nights, decided like a booking: it holds them, or is rejected. */
static int apply_block(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *reason = kv_get(&ev->f, "reason");
	char today[11];
	struct rerr why = {0};
	struct kv b, *o;
	int rc;

	context_today(today, ev);
	rc = reservation_check_block(s, car, kv_get(&ev->f, "from"), kv_get(&ev->f, "to"), today, &why);
	if (rc < 0 && why.code == RX_IO) {
		*e = why;
		return -1;
	}
	kv_init(&b);
	kv_set(&b, "block", kv_get(&ev->f, "id"));
	kv_set(&b, "car", car);
	kv_set(&b, "from", kv_get(&ev->f, "from"));
	kv_set(&b, "to", kv_get(&ev->f, "to"));
	o = outbox_add(out, rc == 0 ? EV_BLOCK_ACCEPTED : EV_BLOCK_REJECTED, ev);
	kv_copy(o, &b);
	if (rc < 0)
		kv_set(o, "reason", why.msg);
	kv_set(&b, "status", rc == 0 ? ST_BLOCKED : ST_REJECTED);
	if (reason)
		kv_set(&b, "reason", reason);
	if (rc < 0)
		kv_set(&b, "rejected", why.msg);
	rec_block_put(s, &b);
	if (rc == 0) {
		agenda_put(s, &b, "block", ST_BLOCKED);
		rc = rec_hold(s, car, date_days(kv_get(&b, "from")), date_days(kv_get(&b, "to")),
			      kv_get(&b, "block"), e);
	} else {
		rc = 0;
	}
	kv_free(&b);
	return rc;
}

/* Ends a block in force: its nights are free again. */
static int end_block(struct store *s, struct kv *b, struct rerr *e)
{
	const char *car = kv_get(b, "car"), *blk = kv_get(b, "block");

	kv_set(b, "status", ST_UNBLOCKED);
	rec_block_put(s, b);
	rec_agenda_del(s, car, blk);
	return rec_free(s, car, date_days(kv_get(b, "from")), date_days(kv_get(b, "to")), blk, e);
}

static int apply_unblock(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *blk = kv_get(&ev->f, "block");
	struct rerr why = {0};
	struct kv b, *o;
	int rc;

	if (reservation_check_unblock(s, blk, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_RESERVATION, &why, e);
	if (reservation_block(s, blk, &b, e) != 0)
		return -1;
	rc = end_block(s, &b, e);
	o = outbox_add(out, EV_BLOCK_ENDED, ev);
	kv_set(o, "block", blk);
	kv_set(o, "car", kv_get(&b, "car"));
	kv_free(&b);
	return rc;
}

/* A car registered or changed: its prices, as the outcome carries them all. */
static void put_car(struct store *s, const struct event *ev)
{
	static const char *const prices[] = {"rate", "weekly", "monthly", "late_fee"};
	struct kv c;

	kv_init(&c);
	kv_set(&c, "car", kv_get(&ev->f, "car"));
	for (size_t i = 0; i < 4; i++)
		if (kv_get(&ev->f, prices[i]))
			kv_set(&c, prices[i], kv_get(&ev->f, prices[i]));
	rec_car_put(s, CTX_RESERVATION, &c);
	kv_free(&c);
}

/* Cancels booking r of a car removed by ev, and says so: a booking management did not
 * know of yet when it removed the car (admitted in the same batch). */
static int cancel_with_car(struct store *s, struct kv *r, const struct event *ev,
			   struct outbox *out, struct rerr *e)
{
	struct kv *o;

	kv_set(r, "status", ST_RES_CANCELED);
	save(s, r);
	o = outbox_add(out, EV_RES_CANCELED, ev);
	kv_set(o, "reservation", kv_get(r, "reservation"));
	kv_set(o, "customer", kv_get(r, "customer"));
	kv_set(o, "_key", kv_get(r, "reservation"));
	return hold_nights(s, r, 0, e);
}

/* A car removed: its blocks end with it, and a booking that still holds its nights
 * (management removes a car with none, as it knows them) is canceled; the others keep
 * their records. */
static int remove_car(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	struct kv *rows;
	size_t n;
	int rc = rec_agenda(s, car, &rows, &n, e);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct kv b;
		const char *id = kv_get(&rows[i], "reservation") ?: "";
		int blk = valid_id(id, "blk");
		int got = blk ? reservation_block(s, id, &b, e) : reservation_get(s, id, &b, e);
		if (got < 0)
			rc = -1;
		else if (got == 0 && blk && strcmp(kv_get(&b, "status") ?: "", ST_BLOCKED) == 0)
			rc = end_block(s, &b, e);
		else if (got == 0 && !blk && booking_holds(kv_get(&b, "status") ?: ""))
			rc = cancel_with_car(s, &b, ev, out, e);
		if (got == 0)
			kv_free(&b);
	}
	store_records_free(rows, n);
	rec_car_del(s, CTX_RESERVATION, car);
	return rc;
}

int reservation_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);

	switch (kind) {
	case EV_CAR_REGISTERED:
	case EV_CAR_CHANGED:
		put_car(s, ev);
		return 0;
	case EV_CAR_REMOVED:
		return remove_car(s, ev, out, e);
	case EV_CAR_BLOCK:
		return apply_block(s, ev, out, e);
	case EV_CAR_UNBLOCK:
		return apply_unblock(s, ev, out, e);
	case EV_RESERVE:
		return apply_reserve(s, ev, out, e);
	case EV_RESERVE_CANCEL:
		return apply_cancel(s, ev, out, e);
	case EV_PAY_ACCEPTED:
	case EV_PAY_CANCELED:
	case EV_RENTAL_RETURNED:
		return apply_status(s, ev, booking_next(kind), e);
	default:
		return 0;
	}
}
