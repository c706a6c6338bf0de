/* reservation: decides bookings (accepted or rejected for overlap) and cancellations;
 * keeps the nights each car has held, one file per night, so a check costs the length
 * of the stay and not the history. */
#include "reservation.h"
#include "limits.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *type, *status; } lifecycle[] = {
	{"reservation.accepted", ST_RESERVED},
	{"reservation.rejected", ST_REJECTED},
	{"reservation.canceled", ST_RES_CANCELED},
	{"payment.accepted", ST_RENTED},
	{"payment.canceled", ST_PAY_CANCELED},
	{"rental.returned", ST_RETURNED},
};

const char *booking_next(const char *outcome_type)
{
	for (size_t i = 0; i < sizeof lifecycle / sizeof lifecycle[0]; i++)
		if (strcmp(lifecycle[i].type, outcome_type) == 0)
			return lifecycle[i].status;
	return NULL;
}

int booking_holds(const char *status)
{
	return strcmp(status, ST_RESERVED) == 0 || strcmp(status, ST_RENTED) == 0;
}

const char *car_status(long long rented, long long reserved)
{
	return rented > 0 ? ST_RENTED : reserved > 0 ? ST_RESERVED : ST_AVAILABLE;
}

static void car_path(char *out, size_t size, const char *car)
{
	char dir[128];

	context_name_dir(dir, sizeof dir, "reservation", "cars", car);
	snprintf(out, size, "%s.yaml", dir);
}

/* reservation/held/xx/CAR/YYYY/MM/YYYY-MM-DD: the reservation holding that night. */
static void night_path(const struct store *s, char *out, size_t size, const char *car, long day)
{
	char dir[200];
	long z = day + 719468, era = z / 146097, doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long y = yoe + era * 400 + (m <= 2);

	context_name_dir(dir, sizeof dir, "reservation", "held", car);
	/* A folder a year, one a month in it: a car's calendar never makes a large tree.
	 * Layout 1 had the months in the car's folder: a tree that grew a line a month, 14
	 * KB after 27 years, written again with each batch that booked the car. */
	snprintf(out, size, "%s/%04d%s%02d/%04d-%02d-%02d", dir, (int)y, store_layout(s) >= 2 ? "/" : "-",
		 (int)m, (int)y, (int)m, (int)d);
}

int reservation_get(struct store *s, const char *res, struct kv *r, struct rerr *e)
{
	return context_get(s, "reservation", res, r, e);
}

/* The first held night of [from, to) on car, as the reservation that holds it. */
static int find_overlap(struct store *s, const char *car, long from, long to, struct kv *other,
			struct rerr *e)
{
	for (long day = from; day < to; day++) {
		char p[256], *buf;
		int rc;

		night_path(s, p, sizeof p, car, day);
		rc = store_get(s, p, &buf, NULL, e);
		if (rc < 0)
			return -1;
		if (rc == 1)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		rc = reservation_get(s, buf, other, e);
		free(buf);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			/* A reader can meet the night before the booking's own file is written:
			 * the night is held all the same. */
			kv_init(other);
			kv_set(other, "from", p + strlen(p) - 10);
			kv_set(other, "to", "");
		}
		return 1;
	}
	return 0;
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
	char p[160];
	struct kv c, other;
	int rc;

	if (reservation_check_request(car, from, to, today, e) < 0)
		return -1;
	car_path(p, sizeof p, car);
	rc = store_get_kv(s, p, &c, e);
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

static void hold_nights(struct store *s, const struct kv *r, int hold)
{
	const char *res = kv_get(r, "reservation"), *car = kv_get(r, "car");
	long from = date_days(kv_get(r, "from")), to = date_days(kv_get(r, "to"));

	char *line = xasprintf("%s\n", res);

	for (long day = from; day < to; day++) {
		char p[256];
		night_path(s, p, sizeof p, car, day);
		if (hold)
			store_put(s, p, line, strlen(line));
		else
			store_del(s, p);
	}
	free(line);
}

/* reservation/customers/xx/CUSTOMER/ab/RES: an empty file, the customer's booking. */
static void customer_entry_path(const struct store *s, char *out, size_t size,
				const char *customer, const char *res)
{
	char dir[160];

	context_name_dir(dir, sizeof dir, "reservation", "customers", customer);
	context_entry_path(s, out, size, dir, res, "");
}

static void save(struct store *s, const struct kv *r)
{
	char p[128], idx[200];

	context_res_path(p, sizeof p, "reservation", kv_get(r, "reservation"));
	store_put_kv(s, p, r);
	customer_entry_path(s, idx, sizeof idx, kv_get(r, "customer"), kv_get(r, "reservation"));
	store_put(s, idx, "", 0);
}

static int apply_reserve(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *from = kv_get(&ev->f, "from"), *to = kv_get(&ev->f, "to");
	char today[11];
	long long nights = 0, amount = 0;
	struct rerr why = {0};
	struct kv r, *o;
	int rc;

	/* "today" is the day the event was written, so that a rebuild decides the same. */
	snprintf(today, sizeof today, "%.10s", kv_get(&ev->f, "time"));
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
	o = outbox_add(out, rc == 0 ? "reservation.accepted" : "reservation.rejected", ev);
	kv_copy(o, &r);
	if (rc < 0)
		kv_set(o, "reason", why.msg);
	kv_set(&r, "status", rc == 0 ? ST_RESERVED : ST_REJECTED);
	save(s, &r);
	if (rc == 0)
		hold_nights(s, &r, 1);
	kv_free(&r);
	return 0;
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
	hold_nights(s, &r, 0);
	struct kv *o = outbox_add(out, "reservation.canceled", ev);
	kv_set(o, "car", kv_get(&r, "car"));
	kv_set(o, "customer", kv_get(&r, "customer"));
	kv_free(&r);
	return 0;
}

/* Another context decided something about a booking: follow its status. */
static int apply_status(struct store *s, const struct event *ev, const char *status, struct rerr *e)
{
	struct kv r;
	int rc = reservation_get(s, kv_get(&ev->f, "reservation"), &r, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (booking_holds(kv_get(&r, "status")) && !booking_holds(status))
		hold_nights(s, &r, 0);
	kv_set(&r, "status", status);
	save(s, &r);
	kv_free(&r);
	return 0;
}

static int apply_catalogue(struct store *s, const struct event *ev, int add)
{
	char p[160];
	struct kv c;

	car_path(p, sizeof p, kv_get(&ev->f, "car"));
	if (!add) {
		store_del(s, p);
		return 0;
	}
	kv_init(&c);
	kv_set(&c, "car", kv_get(&ev->f, "car"));
	kv_set(&c, "rate", kv_get(&ev->f, "rate"));
	store_put_kv(s, p, &c);
	kv_free(&c);
	return 0;
}

int reservation_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *type = kv_get(&ev->f, "type"), *status;

	if (!strcmp(type, "car.registered") || !strcmp(type, "car.removed"))
		return apply_catalogue(s, ev, !strcmp(type, "car.registered"));
	if (!strcmp(type, "reserve"))
		return apply_reserve(s, ev, out, e);
	if (!strcmp(type, "reserve.cancel"))
		return apply_cancel(s, ev, out, e);
	if (strncmp(type, "reservation.", 12) != 0 && (status = booking_next(type)) != NULL)
		return apply_status(s, ev, status, e);
	return 0;
}
