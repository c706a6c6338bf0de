/* rental: a rental starts when a payment is accepted; it ends returned or canceled. */
#include "rental.h"
#include "reservation.h"
#include "limit.h"
#include "management.h"
#include "price.h"
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
	if (rc == 1) /* payment may have taken it */
		return rerr_set(e, RX_REFUSED, "%s: not rented (no payment applied)", res),
		       context_rests_on(e, 1u << CTX_PAYMENT);
	if (strcmp(kv_get(&r, "status"), ST_RENTED) != 0)
		rc = rerr_set(e, RX_REFUSED, "%s: is %s, only a RENTED reservation can be returned",
			      res, kv_get(&r, "status"));
	else if (today && strcmp(kv_get(&r, "from") ?: "", today) > 0)
		rc = rerr_set(e, RX_REFUSED, "%s: starts on %s, it cannot be returned before (today is %s)",
			      res, kv_get(&r, "from"), today);
	kv_free(&r);
	return rc;
}

int rental_late_fee(struct store *s, const struct kv *r, const char *today, long long *fee,
		    struct rerr *e)
{
	const char *to = kv_get(r, "to") ?: "";
	long long late, price;
	struct kv c;
	int rc;

	*fee = 0;
	if (!valid_date(to) || !valid_date(today) || (late = date_days(today) - date_days(to)) <= 0)
		return 0;
	if (late > LIMIT_NIGHTS_MAX)
		late = LIMIT_NIGHTS_MAX;
	if ((rc = rec_car(s, CTX_RENTAL, kv_get(r, "car") ?: "", &c, e)) != 0)
		return rc < 0 ? -1 : 0;
	price = kv_num(&c, "late_fee", 0) > 0 ? kv_num(&c, "late_fee", 0) : kv_num(&c, "rate", 0);
	kv_free(&c);
	if (price < 0 || price > LIMIT_PRICE_MAX) /* a price stored before the limits */
		price = 0;
	*fee = late * price;
	return 0;
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
	long long fee;

	context_today(today, ev);
	if (rental_check_return(s, res, ev->admitted[0] ? today : NULL, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_RENTAL, &why, e);
	if (rental_get(s, res, &r, e) != 0)
		return -1;
	fee = 0;
	if (ev->admitted[0] && strcmp(today, LIMIT_LATE_SINCE) >= 0 &&
	    rental_late_fee(s, &r, today, &fee, e) < 0) {
		kv_free(&r);
		return -1;
	}
	kv_set(&r, "status", ST_RETURNED);
	if (fee > 0) /* an outcome on time is as it always was */
		kv_setnum(&r, "late_fee", fee);
	save(s, &r);
	o = outbox_add(out, EV_RENTAL_RETURNED, ev);
	kv_set(o, "car", kv_get(&r, "car"));
	kv_set(o, "customer", kv_get(&r, "customer"));
	if (fee > 0)
		kv_setnum(o, "late_fee", fee);
	kv_free(&r);
	return 0;
}

static int apply_paid(struct store *s, const struct event *ev)
{
	char today[11];
	static const char *const keep[] = {"reservation", "car", "customer", "from", "to",
					   "amount", "payment"};
	struct kv r;

	kv_init(&r);
	for (size_t i = 0; i < 7; i++)
		kv_set(&r, keep[i], kv_get(&ev->f, keep[i]) ? kv_get(&ev->f, keep[i]) : "");
	kv_set(&r, "status", ST_RENTED);
	context_today(today, ev);
	kv_set(&r, "paid", today); /* the day the payment was admitted */
	save(s, &r);
	kv_free(&r);
	return 0;
}

/* A car registered or changed: its rate and late fee, which a late return owes. */
static void put_car(struct store *s, const struct event *ev)
{
	struct kv c;

	kv_init(&c);
	kv_set(&c, "car", kv_get(&ev->f, "car"));
	kv_set(&c, "rate", kv_get(&ev->f, "rate"));
	if (kv_get(&ev->f, "late_fee"))
		kv_set(&c, "late_fee", kv_get(&ev->f, "late_fee"));
	rec_car_put(s, CTX_RENTAL, &c);
	kv_free(&c);
}

int rental_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	switch (event_kind_of(ev)) {
	case EV_CAR_REGISTERED:
	case EV_CAR_CHANGED:
		put_car(s, ev);
		return 0;
	case EV_CAR_REMOVED:
		rec_car_del(s, CTX_RENTAL, kv_get(&ev->f, "car"));
		return 0;
	case EV_RENT_RETURN:
		return apply_return(s, ev, out, e);
	case EV_PAY_ACCEPTED:
		return apply_paid(s, ev);
	case EV_PAY_CANCELED:
		return booking_follow(s, CTX_RENTAL, kv_get(&ev->f, "reservation"), ST_PAY_CANCELED, save, e);
	default:
		return 0;
	}
}

int rental_receipt(struct store *s, const char *res, struct kv *out, struct price_lines *l,
		   struct rerr *e)
{
	static const char *const keep[] = {"reservation", "customer", "car", "from", "to"};
	const char *st;
	struct kv r, b, c;
	long long nights, amount, fee, refund;
	int rc = rental_get(s, res, &r, e);

	kv_init(out);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: not paid, it has no receipt", res),
		       context_rests_on(e, 1u << CTX_PAYMENT);
	st = kv_get(&r, "status") ?: "";
	if (strcmp(st, ST_RENTED) && strcmp(st, ST_RETURNED) && strcmp(st, ST_PAY_CANCELED)) {
		rerr_set(e, RX_REFUSED, "%s: is %s, it has no receipt", res, st);
		kv_free(&r);
		return -1;
	}
	/* The lines the booking was priced by, kept by the reservation context; a booking
	 * made before they were kept was priced at its rate alone. */
	nights = date_days(kv_get(&r, "to") ?: "") - date_days(kv_get(&r, "from") ?: "");
	amount = kv_num(&r, "amount", 0);
	if ((rc = rec_booking(s, CTX_RESERVATION, res, &b, e)) < 0) {
		kv_free(&r);
		return -1;
	}
	if (rc == 1 || price_lines_parse(l, kv_get(&b, "lines")) < 0 || l->amount != amount) {
		memset(l, 0, sizeof *l);
		l->count[UNIT_NIGHT] = nights;
		l->price[UNIT_NIGHT] = nights > 0 ? amount / nights : 0;
		l->amount = amount;
	}
	if (rc == 0)
		kv_free(&b);
	for (size_t i = 0; i < 5; i++)
		kv_set(out, keep[i], kv_get(&r, keep[i]) ?: "");
	if ((rc = management_car_of(s, kv_get(&r, "car") ?: "", res, kv_get(&r, "paid") ?: "", &c, e)) < 0) {
		kv_free(&r);
		kv_free(out);
		return -1;
	}
	kv_set(out, "model", rc == 0 && kv_get(&c, "model") ? kv_get(&c, "model") : "");
	if (rc == 0)
		kv_free(&c);
	fee = kv_num(&r, "late_fee", 0);
	refund = strcmp(st, ST_PAY_CANCELED) == 0 ? amount : 0;
	kv_set(out, "receipt", kv_get(&r, "payment") ?: "");
	kv_setnum(out, "nights", nights);
	kv_setnum(out, "amount", amount);
	kv_setnum(out, "late_fee", fee);
	kv_setnum(out, "refund", refund);
	kv_setnum(out, "total", amount + fee - refund);
	kv_set(out, "paid", kv_get(&r, "paid") ?: "");
	kv_set(out, "status", st);
	kv_free(&r);
	return 0;
}
