/* rating: learns of returns from rental.returned and accepts one rating each. */
#include "rating.h"
#include "limit.h"
#include "reservation.h"
#include <stdio.h>
#include <string.h>

static int rating_get(struct store *s, const char *res, struct kv *r, struct rerr *e)
{
	return rec_booking(s, CTX_RATING, res, r, e);
}

int rating_check(struct store *s, const char *res, const char *stars, struct rerr *e)
{
	struct kv r;
	long long n;
	int rc;

	if (limit_stars(stars, &n, e) < 0)
		return -1;
	rc = rating_get(s, res, &r, e);
	if (rc < 0)
		return -1;
	if (rc == 1 || strcmp(kv_get(&r, "status") ?: "", ST_RETURNED) != 0) {
		if (rc == 0)
			kv_free(&r);
		rerr_set(e, RX_REFUSED, "%s: not returned, only a RETURNED reservation can be rated", res);
		/* a booking this context has not seen end (refunded or returned) may be returned */
		return rc == 1 ? context_rests_on(e, 1u << CTX_RENTAL) : -1;
	}
	if (kv_get(&r, "stars") != NULL)
		rc = rerr_set(e, RX_REFUSED, "%s: already rated (%s stars)", res, kv_get(&r, "stars"));
	kv_free(&r);
	return rc;
}

static void save(struct store *s, const struct kv *r)
{
	rec_booking_put(s, CTX_RATING, r);
}

static int apply_rate(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *res = kv_get(&ev->f, "reservation"), *comment = kv_get(&ev->f, "comment");
	struct rerr why = {0};
	struct kv r, *o;

	if (rating_check(s, res, kv_get(&ev->f, "stars"), &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_RATING, &why, e);
	if (rating_get(s, res, &r, e) != 0)
		return -1;
	kv_set(&r, "stars", kv_get(&ev->f, "stars"));
	kv_set(&r, "rating", kv_get(&ev->f, "id"));
	if (comment)
		kv_set(&r, "comment", comment);
	save(s, &r);
	o = outbox_add(out, EV_RATING_ACCEPTED, ev);
	kv_set(o, "car", kv_get(&r, "car"));
	kv_set(o, "customer", kv_get(&r, "customer"));
	kv_set(o, "stars", kv_get(&ev->f, "stars"));
	kv_set(o, "rating", kv_get(&ev->f, "id"));
	if (comment)
		kv_set(o, "comment", comment);
	kv_free(&r);
	return 0;
}

static int apply_returned(struct store *s, const struct event *ev)
{
	struct kv r;

	kv_init(&r);
	kv_set(&r, "reservation", kv_get(&ev->f, "reservation"));
	kv_set(&r, "car", kv_get(&ev->f, "car"));
	kv_set(&r, "customer", kv_get(&ev->f, "customer"));
	kv_set(&r, "status", ST_RETURNED);
	save(s, &r);
	kv_free(&r);
	return 0;
}

int rating_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	switch (event_kind_of(ev)) {
	case EV_RATE:
		return apply_rate(s, ev, out, e);
	case EV_RENTAL_RETURNED:
		return apply_returned(s, ev);
	case EV_PAY_CANCELED: /* a return refunded in the same batch: the stay is not rated */
		return booking_follow(s, CTX_RATING, kv_get(&ev->f, "reservation"), ST_PAY_CANCELED, save, e);
	default:
		return 0;
	}
}
