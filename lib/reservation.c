/* reservation: decides bookings (accepted or rejected for overlap) and cancellations;
 * keeps the nights each car has held, so a check costs the length of the stay and not
 * the history. */
#include "reservation.h"
#include "limit.h"
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

const char *car_status(long long rented, long long reserved)
{
	return rented > 0 ? ST_RENTED : reserved > 0 ? ST_RESERVED : ST_AVAILABLE;
}

int reservation_get(struct store *s, const char *res, struct kv *r, struct rerr *e)
{
	return rec_booking(s, CTX_RESERVATION, res, r, e);
}

/* The first held night of [from, to) on car, as the reservation that holds it. */
static int find_overlap(struct store *s, const char *car, long from, long to, struct kv *other,
			struct rerr *e)
{
	char holder[ID_LEN], day[11];
	long d;
	int rc = rec_first_held(s, car, from, to, &d, holder, e);

	if (rc != 1)
		return rc;
	rc = reservation_get(s, holder, other, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		/* The night is held all the same, by what reservation has no record of. */
		date_format(day, d);
		kv_init(other);
		kv_set(other, "from", day);
		kv_set(other, "to", "");
	}
	return 1;
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

int reservation_check_new(struct store *s, const char *car, const char *from, const char *to,
			  const char *today, long long *nights, long long *amount, struct rerr *e)
{
	struct kv c, other;
	int rc;

	if (reservation_check_request(car, from, to, today, e) < 0)
		return -1;
	rc = rec_car(s, CTX_RESERVATION, car, &c, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown car", car);
	*nights = date_days(to) - date_days(from);
	rc = limit_cost(kv_num(&c, "rate", 0), *nights, amount, "rate", e);
	kv_free(&c);
	if (rc < 0)
		return -1;
	rc = find_overlap(s, car, date_days(from), date_days(to), &other, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (*kv_get(&other, "to") == '\0')
			rerr_set(e, RX_REFUSED, "%s: already reserved on %s", car, kv_get(&other, "from"));
		else
			rerr_set(e, RX_REFUSED, "%s: already reserved from %s to %s", car,
				 kv_get(&other, "from"), kv_get(&other, "to"));
		kv_free(&other);
		return -1;
	}
	return 0;
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

static int hold_nights(struct store *s, const struct kv *r, int hold, struct rerr *e)
{
	const char *res = kv_get(r, "reservation"), *car = kv_get(r, "car");
	long from = date_days(kv_get(r, "from")), to = date_days(kv_get(r, "to"));

	return hold ? rec_hold(s, car, from, to, res, e) : rec_free(s, car, from, to, res, e);
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
	if (booking_holds(kv_get(&r, "status")) && !booking_holds(status))
		rc = hold_nights(s, &r, 0, e);
	kv_set(&r, "status", status);
	save(s, &r);
	kv_free(&r);
	return rc;
}

static int apply_catalogue(struct store *s, const struct event *ev, int add)
{
	struct kv c;

	if (!add) {
		rec_car_del(s, CTX_RESERVATION, kv_get(&ev->f, "car"));
		return 0;
	}
	kv_init(&c);
	kv_set(&c, "car", kv_get(&ev->f, "car"));
	kv_set(&c, "rate", kv_get(&ev->f, "rate"));
	rec_car_put(s, CTX_RESERVATION, &c);
	kv_free(&c);
	return 0;
}

int reservation_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);

	switch (kind) {
	case EV_CAR_REGISTERED:
	case EV_CAR_REMOVED:
		return apply_catalogue(s, ev, kind == EV_CAR_REGISTERED);
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
