/* payment: learns of bookings from reservation.accepted and decides pay and pay cancel.
 * The amount is checked here, once, in whole units of the currency. */
#include "payment.h"
#include "limit.h"
#include "reservation.h"
#include "config.h"
#include "spool.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int payment_get(struct store *s, const char *res, struct kv *p, struct rerr *e)
{
	return rec_booking(s, CTX_PAYMENT, res, p, e);
}

/* Loads res and checks it is in status want; messages name what it is instead. */
static int expect_status(struct store *s, const char *res, const char *want, const char *verb,
			 struct kv *p, struct rerr *e)
{
	int rc = payment_get(s, res, p, e);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_TEMP, "%s: not yet applied", res);
	if (strcmp(kv_get(p, "status"), want) != 0) {
		rerr_set(e, RX_REFUSED, "%s: is %s, only a %s reservation can be %s", res,
			 kv_get(p, "status"), want, verb);
		kv_free(p);
		return -1;
	}
	return 0;
}

/* Whether booking p's stay ended before today (its to is before it). */
static int ended_before(const struct kv *p, const char *today)
{
	return today && strcmp(kv_get(p, "to") ?: "", today) < 0;
}

int payment_check_pay(struct store *s, const char *res, const char *amount, const char *today,
		      long long *due, struct rerr *e)
{
	struct kv p;
	long long given;
	int rc = 0;

	if (amount && limit_amount(amount, &given, "amount", e) < 0)
		return -1;
	if (expect_status(s, res, ST_RESERVED, "paid", &p, e) < 0)
		return -1;
	*due = kv_num(&p, "amount", 0);
	if (ended_before(&p, today))
		rc = rerr_set(e, RX_REFUSED, "%s: its stay ended on %s, before today (%s): it can no "
			      "longer be paid ('reserve cancel' frees the car)", res, kv_get(&p, "to"), today);
	else if (*due < 1 || *due > LIMIT_AMOUNT_MAX) /* booked before the limits */
		rc = rerr_set(e, RX_REFUSED, "%s: amount %lld is beyond the limits and cannot be paid",
			      res, *due);
	else if (amount && given != *due)
		rc = rerr_set(e, RX_REFUSED, "%s: amount %lld differs from the amount due, %lld", res,
			      given, *due);
	kv_free(&p);
	return rc;
}

int payment_check_cancel(struct store *s, const char *res, const char *today, struct rerr *e)
{
	struct kv p;
	int rc = 0;

	if (expect_status(s, res, ST_RENTED, "canceled", &p, e) < 0)
		return -1;
	if (ended_before(&p, today))
		rc = rerr_set(e, RX_REFUSED, "%s: is overdue since %s (today is %s): its payment can no "
			      "longer be canceled; 'rent return' ends it, with its late fee", res,
			      kv_get(&p, "to"), today);
	kv_free(&p);
	return rc;
}

const char *payment_ended_today(const char *today, int rules)
{
	return rules >= RULES_ENDED_STAYS ? today : NULL;
}

/* payment_ended_today for ev (its day into out): NULL for one logged without its
 * admission day too. */
static const char *ended_stays_today(char out[11], const struct event *ev)
{
	context_today(out, ev);
	return payment_ended_today(ev->admitted[0] ? out : NULL, ev->rules);
}

static void save(struct store *s, const struct kv *p)
{
	rec_booking_put(s, CTX_PAYMENT, p);
}

static int apply_pay(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *res = kv_get(&ev->f, "reservation");
	struct rerr why = {0};
	char today[11];
	long long due;
	struct kv p, *o;

	if (payment_check_pay(s, res, kv_get(&ev->f, "amount"), ended_stays_today(today, ev), &due,
			      &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_PAYMENT, &why, e);
	if (payment_get(s, res, &p, e) != 0)
		return -1;
	kv_set(&p, "status", ST_RENTED);
	kv_set(&p, "payment", kv_get(&ev->f, "id"));
	save(s, &p);
	o = outbox_add(out, EV_PAY_ACCEPTED, ev);
	kv_set(o, "car", kv_get(&p, "car"));
	kv_set(o, "customer", kv_get(&p, "customer"));
	kv_set(o, "payment", kv_get(&ev->f, "id"));
	kv_setnum(o, "amount", due);
	kv_set(o, "from", kv_get(&p, "from"));
	kv_set(o, "to", kv_get(&p, "to"));
	kv_free(&p);
	return 0;
}

/* Refunds the payment of booking p, because of ev: PAYMENT_CANCELED, said to the others. */
static void refund(struct store *s, struct kv *p, const struct event *ev, struct outbox *out)
{
	struct kv *o;

	kv_set(p, "status", ST_PAY_CANCELED);
	save(s, p);
	o = outbox_add(out, EV_PAY_CANCELED, ev);
	kv_set(o, "car", kv_get(p, "car"));
	kv_set(o, "customer", kv_get(p, "customer"));
	kv_set(o, "payment", kv_get(p, "payment"));
}

static int apply_cancel(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *res = kv_get(&ev->f, "reservation");
	struct rerr why = {0};
	char today[11];
	struct kv p;

	if (payment_check_cancel(s, res, ended_stays_today(today, ev), &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_PAYMENT, &why, e);
	if (payment_get(s, res, &p, e) != 0)
		return -1;
	refund(s, &p, ev, out);
	kv_free(&p);
	return 0;
}

/* Learns of a booking the reservation context decided, accepted or rejected. */
static int apply_accepted(struct store *s, const struct event *ev, const char *status)
{
	static const char *const keep[] = {"reservation", "car", "customer", "from", "to", "amount"};
	struct kv p;

	kv_init(&p);
	for (size_t i = 0; i < 6; i++)
		kv_set(&p, keep[i], kv_get(&ev->f, keep[i]) ? kv_get(&ev->f, keep[i]) : "0");
	kv_set(&p, "status", status);
	save(s, &p);
	kv_free(&p);
	return 0;
}

/* Another context decided about a booking: its status follows (booking_may_become).
 * A booking canceled after this context took its payment (the two decided apart, as
 * in one batch) is refunded. */
static int apply_status(struct store *s, const struct event *ev, struct outbox *out,
			const char *status, struct rerr *e)
{
	struct kv p;
	int rc = payment_get(s, kv_get(&ev->f, "reservation"), &p, e);
	const char *now;

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	now = kv_get(&p, "status") ?: "";
	if (strcmp(status, ST_RES_CANCELED) == 0 && strcmp(now, ST_RENTED) == 0) {
		refund(s, &p, ev, out);
	} else if (booking_may_become(now, status)) {
		kv_set(&p, "status", status);
		save(s, &p);
	}
	kv_free(&p);
	return 0;
}

int payment_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);

	switch (kind) {
	case EV_PAY:
		return apply_pay(s, ev, out, e);
	case EV_PAY_CANCEL:
		return apply_cancel(s, ev, out, e);
	case EV_RES_ACCEPTED:
	case EV_RES_REJECTED:
		return apply_accepted(s, ev, booking_next(kind));
	case EV_RES_CANCELED:
	case EV_RENTAL_RETURNED:
		return apply_status(s, ev, out, booking_next(kind), e);
	default:
		return 0;
	}
}

static void breaker_path(char *out, size_t size, const char *spool)
{
	snprintf(out, size, "%s/breaker", spool);
}

static int breaker_read(const char *spool, struct kv *b, struct rerr *e)
{
	char p[4096], *buf;
	size_t len;
	int rc;

	kv_init(b);
	breaker_path(p, sizeof p, spool);
	rc = fs_read(p, 4096, &buf, &len, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = kv_parse(b, buf, len, p, e);
	free(buf);
	if (rc < 0)
		kv_init(b); /* a torn breaker file is a closed breaker */
	return 0;
}

/* The payment events waiting in the spool: those a user writes that this context
 * decides (pay, pay.cancel), by their ids' prefixes. */
static size_t payments_waiting(const char *spool)
{
	size_t n = 0;

	for (int k = 0; k < EV_COUNT; k++) {
		const struct event_type *t = event_type_of((enum event_kind)k);
		if (t->roles != ROLE_SYSTEM && (t->followers & 1u << CTX_PAYMENT))
			n += spool_count_prefix(spool, t->prefix);
	}
	return n;
}

/* The seconds breaker b stays open at now: from when it opened, for open_seconds as
 * they were then or are now if fewer. Clocks differ (a writer on another host, through
 * spool: PATH) or are set back: an opening at most open_seconds ahead of now counts,
 * one further ahead is a clock set back since, which says nothing of how long ago it
 * was (closed). The file of the release before has open_until alone. */
static long long breaker_left(const struct kv *b, const struct cfg *c, long long now)
{
	long long until = kv_num(b, "open_until", 0), opened = kv_num(b, "opened", 0);

	if (kv_get(b, "opened") == NULL && until > c->open_seconds)
		opened = until - c->open_seconds;
	if (opened <= 0 || until <= opened || opened - now > c->open_seconds)
		return 0;
	if (until - opened > c->open_seconds)
		until = opened + c->open_seconds;
	return now < until ? until - now : 0;
}

int payment_breaker_check(const char *spool, const struct cfg *c, struct rerr *e)
{
	struct kv b;
	long long left;
	size_t pending = payments_waiting(spool);

	if (c->max_pending > 0 && pending >= (size_t)c->max_pending)
		return rerr_set(e, RX_TEMP, "payment is busy, try again in 1 s (%zu payments waiting)",
				pending);
	if (c->consecutive_errors == 0) /* the breaker switched off */
		return 0;
	if (breaker_read(spool, &b, e) < 0)
		return -1;
	left = breaker_left(&b, c, (long long)time(NULL));
	kv_free(&b);
	if (left > 0)
		return rerr_set(e, RX_TEMP, "payment is busy, try again in %lld s", left);
	return 0;
}

int payment_breaker_record(const char *spool, const struct cfg *c, int failed, struct rerr *e)
{
	char p[4096];
	struct kv b;
	long long errors;
	size_t len;
	char *buf;
	int rc;

	if (breaker_read(spool, &b, e) < 0)
		return -1;
	/* Switched off, the breaker counts no failure and forgets its opening: switched on
	 * again, it starts closed. */
	int off = c->consecutive_errors == 0, forget = off && (kv_get(&b, "opened") || kv_get(&b, "open_until"));
	errors = kv_num(&b, "errors", 0);
	failed = failed && !off;
	if (!failed && errors == 0 && !forget) {
		kv_free(&b);
		return 0;
	}
	if (forget) {
		kv_free(&b);
		kv_init(&b);
	}
	errors = failed ? errors + 1 : 0;
	kv_setnum(&b, "errors", errors);
	if (failed && errors >= c->consecutive_errors) { /* failed: the breaker is on */
		kv_setnum(&b, "opened", (long long)time(NULL));
		kv_setnum(&b, "open_until", (long long)time(NULL) + c->open_seconds);
		kv_setnum(&b, "errors", 0);
	}
	buf = kv_format(&b, &len);
	breaker_path(p, sizeof p, spool);
	char *tmpdir = xasprintf("%s/tmp", spool);
	rc = fs_write_atomic_via(tmpdir, p, buf, len, 0, e);
	free(tmpdir);
	free(buf);
	kv_free(&b);
	return rc;
}
