/* rental: a rental starts when a payment is accepted; it ends returned or canceled. */
#include "rental.h"
#include "reservation.h"
#include <stdio.h>
#include <string.h>

int rental_get(struct store *s, const char *res, struct kv *r, struct rerr *e)
{
	return rec_booking(s, CTX_RENTAL, res, r, e);
}

int rental_check_return(struct store *s, const char *res, const char *today, struct rerr *e)
{
	struct kv r;
	int rc = rental_get(s, res, &r, e);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: not rented (no payment applied)", res);
	if (strcmp(kv_get(&r, "status"), ST_RENTED) != 0)
		rc = rerr_set(e, RX_REFUSED, "%s: is %s, only a RENTED reservation can be returned",
			      res, kv_get(&r, "status"));
	else if (today && strcmp(kv_get(&r, "from") ?: "", today) > 0)
		rc = rerr_set(e, RX_REFUSED, "%s: starts on %s, it cannot be returned before (today is %s)",
			      res, kv_get(&r, "from"), today);
	kv_free(&r);
	return rc;
}

/* The rental's record, and its row in its customer's list. */
static void save(struct store *s, const struct kv *r)
{
	struct kv row;

	rec_booking_put(s, CTX_RENTAL, r);
	kv_init(&row);
	kv_set(&row, "reservation", kv_get(r, "reservation"));
	rec_row_put(s, CTX_RENTAL, OWNER_CUSTOMER, kv_get(r, "customer"), &row);
	kv_free(&row);
}

static int apply_return(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *res = kv_get(&ev->f, "reservation");
	char today[11];
	struct rerr why = {0};
	struct kv r, *o;

	context_today(today, ev);
	if (rental_check_return(s, res, ev->admitted[0] ? today : NULL, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_RENTAL, &why, e);
	if (rental_get(s, res, &r, e) != 0)
		return -1;
	kv_set(&r, "status", ST_RETURNED);
	save(s, &r);
	o = outbox_add(out, EV_RENTAL_RETURNED, ev);
	kv_set(o, "car", kv_get(&r, "car"));
	kv_set(o, "customer", kv_get(&r, "customer"));
	kv_free(&r);
	return 0;
}

static int apply_paid(struct store *s, const struct event *ev)
{
	static const char *const keep[] = {"reservation", "car", "customer", "from", "to",
					   "amount", "payment"};
	struct kv r;

	kv_init(&r);
	for (size_t i = 0; i < 7; i++)
		kv_set(&r, keep[i], kv_get(&ev->f, keep[i]) ? kv_get(&ev->f, keep[i]) : "");
	kv_set(&r, "status", ST_RENTED);
	save(s, &r);
	kv_free(&r);
	return 0;
}

static int apply_canceled(struct store *s, const struct event *ev, struct rerr *e)
{
	struct kv r;
	int rc = rental_get(s, kv_get(&ev->f, "reservation"), &r, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	kv_set(&r, "status", ST_PAY_CANCELED);
	save(s, &r);
	kv_free(&r);
	return 0;
}

int rental_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	switch (event_kind_of(ev)) {
	case EV_RENT_RETURN:
		return apply_return(s, ev, out, e);
	case EV_PAY_ACCEPTED:
		return apply_paid(s, ev);
	case EV_PAY_CANCELED:
		return apply_canceled(s, ev, e);
	default:
		return 0;
	}
}
