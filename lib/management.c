/* management: registers and removes cars, and follows bookings and ratings through
 * the outcomes other contexts log, so a car's status is always derived, never set. */
#include "management.h"
#include "limit.h"
#include "price.h"
#include "reservation.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds status and stars, derived from the counts the file keeps. */
static void derive(struct kv *c)
{
	long long n = kv_num(c, "ratings", 0), sum = kv_num(c, "stars_sum", 0);

	kv_set(c, "status", car_status(kv_num(c, "rented", 0), kv_num(c, "reserved", 0)));
	if (n > 0)
		kv_setf(c, "stars", "%.1f", (double)sum / (double)n);
}

int management_car(struct store *s, const char *car, struct kv *c, struct rerr *e)
{
	int rc = rec_car(s, CTX_MANAGEMENT, car, c, e);

	if (rc == 0)
		derive(c);
	return rc;
}

void management_settings(struct car_settings *set, const struct kv *f)
{
	set->rate = kv_get(f, "rate");
	set->model = kv_get(f, "model");
	set->weekly = kv_get(f, "weekly");
	set->monthly = kv_get(f, "monthly");
	set->late_fee = kv_get(f, "late_fee");
}

/* Each setting given is within the limits. */
static int check_values(const struct car_settings *set, struct rerr *e)
{
	const struct { const char *v, *what; } prices[] = {
		{set->rate, "rate"}, {set->weekly, "weekly"}, {set->monthly, "monthly"},
		{set->late_fee, "late fee"}};
	long long v;

	for (size_t i = 0; i < 4; i++)
		if (prices[i].v && limit_price(prices[i].v, &v, prices[i].what, e) < 0)
			return -1;
	if (set->model && limit_text(set->model, NULL, "model", e) < 0)
		return -1;
	return 0;
}

/* The prices of c (a car record) with set's in their place agree with the rate. */
static int check_prices(const struct kv *c, const struct car_settings *set, struct rerr *e)
{
	const char *rate = set->rate ? set->rate : kv_get(c, "rate");
	const char *weekly = set->weekly ? set->weekly : kv_get(c, "weekly");
	const char *monthly = set->monthly ? set->monthly : kv_get(c, "monthly");
	long long r = 0, w = 0, m = 0;

	parse_money(rate ? rate : "0", &r);
	if (weekly && *weekly)
		parse_money(weekly, &w);
	if (monthly && *monthly)
		parse_money(monthly, &m);
	return price_check(r, w, m, e);
}

int management_check_add(struct store *s, const char *car, const struct car_settings *set,
			 struct rerr *e)
{
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: a car id is 1 to 32 letters, digits, '.', '_' or '-'", car);
	if (set->rate == NULL)
		return rerr_set(e, RX_DATA, "%s: a car needs a rate", car);
	kv_init(&c);
	if (check_values(set, e) < 0 || check_prices(&c, set, e) < 0)
		return -1;
	rc = management_car(s, car, &c, e);
	kv_free(&c);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return rerr_set(e, RX_REFUSED, "%s: already registered", car);
	return 0;
}

int management_check_set(struct store *s, const char *car, const struct car_settings *set,
			 struct rerr *e)
{
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: not a car id", car);
	if (!set->rate && !set->model && !set->weekly && !set->monthly && !set->late_fee)
		return rerr_set(e, RX_DATA, "%s: nothing to change", car);
	if (check_values(set, e) < 0)
		return -1;
	rc = management_car(s, car, &c, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown car", car);
	rc = check_prices(&c, set, e);
	kv_free(&c);
	return rc;
}

int management_check_rm(struct store *s, const char *car, struct rerr *e)
{
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: not a car id", car);
	rc = management_car(s, car, &c, e);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown car", car);
	if (kv_num(&c, "reserved", 0) > 0 || kv_num(&c, "rented", 0) > 0)
		rc = rerr_set(e, RX_REFUSED, "%s: is %s, a car with a RESERVED or RENTED booking cannot be deleted",
			      car, kv_get(&c, "status"));
	kv_free(&c);
	return rc;
}

/* Writes the car without its derived fields; a price not set is not written. */
static void save_car(struct store *s, struct kv *c)
{
	static const char *const kept[] = {"car", "model", "rate", "weekly", "monthly", "late_fee",
					   "reserved", "rented", "ratings", "stars_sum"};
	struct kv out;

	kv_init(&out);
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		const char *v = kv_get(c, kept[i]);
		if (i >= 3 && i <= 5 && (v == NULL || *v == '\0'))
			continue;
		kv_set(&out, kept[i], v ? v : "0");
	}
	rec_car_put(s, CTX_MANAGEMENT, &out);
	kv_free(&out);
}

/* The outcome that tells the other contexts a car's prices: rate, and those set. */
static void tell_prices(struct kv *o, const struct kv *c)
{
	static const char *const prices[] = {"rate", "weekly", "monthly", "late_fee"};

	for (size_t i = 0; i < 4; i++)
		if (kv_get(c, prices[i]) && *kv_get(c, prices[i]))
			kv_set(o, prices[i], kv_get(c, prices[i]));
}

/* Sets the settings given into c. */
static void settle(struct kv *c, const struct car_settings *set)
{
	const struct { const char *k, *v; } given[] = {
		{"model", set->model}, {"rate", set->rate}, {"weekly", set->weekly},
		{"monthly", set->monthly}, {"late_fee", set->late_fee}};

	for (size_t i = 0; i < 5; i++)
		if (given[i].v)
			kv_set(c, given[i].k, given[i].v);
}

static int apply_add(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *model = kv_get(&ev->f, "model");
	struct car_settings set;
	struct rerr why = {0};
	struct kv c, *o;

	management_settings(&set, &ev->f);
	if (management_check_add(s, car, &set, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	kv_init(&c);
	kv_set(&c, "car", car);
	kv_set(&c, "model", model ? model : "");
	settle(&c, &set);
	save_car(s, &c);
	o = outbox_add(out, EV_CAR_REGISTERED, ev);
	tell_prices(o, &c);
	if (model)
		kv_set(o, "model", model);
	kv_free(&c);
	return 0;
}

static int apply_set(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	struct car_settings set;
	struct rerr why = {0};
	struct kv c, *o;

	management_settings(&set, &ev->f);
	if (management_check_set(s, car, &set, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	if (management_car(s, car, &c, e) != 0)
		return -1;
	settle(&c, &set);
	save_car(s, &c);
	o = outbox_add(out, EV_CAR_CHANGED, ev);
	tell_prices(o, &c);
	kv_free(&c);
	return 0;
}

static int apply_rm(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	struct rerr why = {0};
	struct kv *rows;
	size_t n;

	if (management_check_rm(s, car, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	rec_car_del(s, CTX_MANAGEMENT, car);
	/* Its blocks end with it (the reservation context frees their nights), and its
	 * reviews go with its ratings. */
	if (rec_rows(s, CTX_MANAGEMENT, OWNER_CAR, car, &rows, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv_get(&rows[i], "status") ?: "", ST_BLOCKED))
			rec_row_del(s, CTX_MANAGEMENT, OWNER_CAR, car, kv_get(&rows[i], "reservation"));
	store_records_free(rows, n);
	if (rec_reviews(s, car, &rows, &n, e) < 0)
		return -1;
	if (n > 0)
		rec_reviews_put(s, car, NULL, 0);
	store_records_free(rows, n);
	outbox_add(out, EV_CAR_REMOVED, ev);
	return 0;
}

/* A block in force shows among the car's bookings until it ends. */
static int apply_block(struct store *s, const struct event *ev, int accepted, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *blk = kv_get(&ev->f, "block");
	struct kv c, row;
	int rc;

	if (!accepted) {
		rec_row_del(s, CTX_MANAGEMENT, OWNER_CAR, car, blk);
		return 0;
	}
	if ((rc = rec_car(s, CTX_MANAGEMENT, car, &c, e)) != 0)
		return rc < 0 ? -1 : 0; /* removed meanwhile: its blocks ended with it */
	kv_free(&c);
	kv_init(&row);
	kv_set(&row, "reservation", blk);
	kv_set(&row, "from", kv_get(&ev->f, "from"));
	kv_set(&row, "to", kv_get(&ev->f, "to"));
	kv_set(&row, "status", ST_BLOCKED);
	rec_row_put(s, CTX_MANAGEMENT, OWNER_CAR, car, &row);
	kv_free(&row);
	return 0;
}

/* The count a car keeps of its bookings in this status, or NULL if it keeps none. */
static const char *count_of(const char *status)
{
	return !strcmp(status, ST_RENTED) ? "rented" : !strcmp(status, ST_RESERVED) ? "reserved" : NULL;
}

static void count_add(struct kv *c, const char *status, int delta)
{
	const char *k = count_of(status);

	if (k)
		kv_setnum(c, k, kv_num(c, k, 0) + delta);
}

/* Moves the car's counts from the booking's old status to its new one. */
static int apply_booking(struct store *s, const struct event *ev, const char *status, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *res = kv_get(&ev->f, "reservation");
	struct kv b, c;
	int rc = rec_row(s, CTX_MANAGEMENT, OWNER_CAR, car, res, &b, e);

	if (rc < 0)
		return -1;
	if (rc == 1) {
		kv_set(&b, "reservation", res);
		kv_set(&b, "from", kv_get(&ev->f, "from") ? kv_get(&ev->f, "from") : "");
		kv_set(&b, "to", kv_get(&ev->f, "to") ? kv_get(&ev->f, "to") : "");
		kv_set(&b, "status", "");
	}
	rc = management_car(s, car, &c, e);
	if (rc < 0) {
		kv_free(&b);
		return -1;
	}
	if (rc == 0) {
		count_add(&c, kv_get(&b, "status"), -1);
		count_add(&c, status, +1);
		save_car(s, &c);
	}
	kv_set(&b, "status", status);
	rec_row_put(s, CTX_MANAGEMENT, OWNER_CAR, car, &b);
	kv_free(&b);
	kv_free(&c);
	return 0;
}

/* A rating counts in the car's stars, and is its newest review. */
static int apply_rating(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *comment = kv_get(&ev->f, "comment");
	struct kv c, *old, *rows;
	size_t n, nold;
	char today[11];
	int rc = management_car(s, car, &c, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	kv_setnum(&c, "ratings", kv_num(&c, "ratings", 0) + 1);
	kv_setnum(&c, "stars_sum", kv_num(&c, "stars_sum", 0) + kv_num(&ev->f, "stars", 0));
	save_car(s, &c);
	kv_free(&c);
	if (rec_reviews(s, car, &old, &nold, e) < 0)
		return -1;
	n = nold > MANAGEMENT_REVIEWS - 1 ? MANAGEMENT_REVIEWS - 1 : nold;
	rows = xcalloc(n + 1, sizeof *rows);
	context_today(today, ev);
	kv_init(&rows[0]);
	kv_set(&rows[0], "rating", kv_get(&ev->f, "rating"));
	kv_set(&rows[0], "stars", kv_get(&ev->f, "stars"));
	if (comment)
		kv_set(&rows[0], "comment", comment);
	kv_set(&rows[0], "date", today);
	for (size_t i = 0; i < n; i++)
		rows[i + 1] = old[i], kv_init(&old[i]);
	rec_reviews_put(s, car, rows, n + 1);
	store_records_free(rows, n + 1);
	store_records_free(old, nold); /* the rows moved out are empty */
	return 0;
}

int management_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);

	if (kind == EV_CAR_ADD)
		return apply_add(s, ev, out, e);
	if (kind == EV_CAR_SET)
		return apply_set(s, ev, out, e);
	if (kind == EV_CAR_RM)
		return apply_rm(s, ev, out, e);
	if (kind == EV_BLOCK_ACCEPTED || kind == EV_BLOCK_ENDED)
		return apply_block(s, ev, kind == EV_BLOCK_ACCEPTED, e);
	if (kind == EV_RATING_ACCEPTED)
		return apply_rating(s, ev, e);
	if (booking_next(kind) != NULL)
		return apply_booking(s, ev, booking_next(kind), e);
	return 0;
}

static int cmp_car(const void *a, const void *b)
{
	return strcmp(kv_get(a, "car"), kv_get(b, "car"));
}

int management_list(struct store *s, struct kv **recs, size_t *n, struct rerr *e)
{
	int rc = rec_cars(s, CTX_MANAGEMENT, recs, n, e);

	for (size_t i = 0; i < *n; i++) {
		if (kv_get(&(*recs)[i], "car") == NULL)
			kv_set(&(*recs)[i], "car", "?");
		derive(&(*recs)[i]);
	}
	if (*n)
		qsort(*recs, *n, sizeof **recs, cmp_car);
	return rc;
}

int management_bookings(struct store *s, const char *car, struct kv **recs, size_t *n,
			struct rerr *e)
{
	int rc = rec_rows(s, CTX_MANAGEMENT, OWNER_CAR, car, recs, n, e);

	context_sort(*recs, *n);
	return rc;
}

int management_reviews(struct store *s, const char *car, struct kv **recs, size_t *n,
		       struct rerr *e)
{
	int rc = rec_reviews(s, car, recs, n, e);

	for (size_t i = MANAGEMENT_REVIEWS; i < *n; i++)
		kv_free(&(*recs)[i]);
	if (*n > MANAGEMENT_REVIEWS)
		*n = MANAGEMENT_REVIEWS;
	return rc;
}
