/* management: registers and removes cars, and follows bookings and ratings through
 * the outcomes other contexts log, so a car's status is always derived, never set. */
#include "management.h"
#include "limit.h"
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

int management_check_add(struct store *s, const char *car, const char *rate, const char *model,
			 struct rerr *e)
{
	long long r;
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: a car id is 1 to 32 letters, digits, '.', '_' or '-'", car);
	if (limit_price(rate, &r, "rate", e) < 0 || (model && limit_text(model, NULL, "model", e) < 0))
		return -1;
	rc = management_car(s, car, &c, e);
	kv_free(&c);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return rerr_set(e, RX_REFUSED, "%s: already registered", car);
	return 0;
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

/* Writes the car without its derived fields. */
static void save_car(struct store *s, struct kv *c)
{
	static const char *const kept[] = {"car", "model", "rate", "reserved", "rented", "ratings", "stars_sum"};
	struct kv out;

	kv_init(&out);
	for (size_t i = 0; i < 7; i++)
		kv_set(&out, kept[i], kv_get(c, kept[i]) ? kv_get(c, kept[i]) : "0");
	rec_car_put(s, CTX_MANAGEMENT, &out);
	kv_free(&out);
}

static int apply_add(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *model = kv_get(&ev->f, "model");
	struct rerr why = {0};
	struct kv c, *o;

	if (management_check_add(s, car, kv_get(&ev->f, "rate"), model, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	kv_init(&c);
	kv_set(&c, "car", car);
	kv_set(&c, "model", model ? model : "");
	kv_set(&c, "rate", kv_get(&ev->f, "rate"));
	save_car(s, &c);
	kv_free(&c);
	o = outbox_add(out, EV_CAR_REGISTERED, ev);
	kv_set(o, "rate", kv_get(&ev->f, "rate"));
	if (model)
		kv_set(o, "model", model);
	return 0;
}

static int apply_rm(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	struct rerr why = {0};

	if (management_check_rm(s, car, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	rec_car_del(s, CTX_MANAGEMENT, car);
	outbox_add(out, EV_CAR_REMOVED, ev);
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

static int apply_rating(struct store *s, const struct event *ev, struct rerr *e)
{
	struct kv c;
	int rc = management_car(s, kv_get(&ev->f, "car"), &c, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	kv_setnum(&c, "ratings", kv_num(&c, "ratings", 0) + 1);
	kv_setnum(&c, "stars_sum", kv_num(&c, "stars_sum", 0) + kv_num(&ev->f, "stars", 0));
	save_car(s, &c);
	kv_free(&c);
	return 0;
}

int management_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);

	if (kind == EV_CAR_ADD)
		return apply_add(s, ev, out, e);
	if (kind == EV_CAR_RM)
		return apply_rm(s, ev, out, e);
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
