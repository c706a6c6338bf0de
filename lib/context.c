/* context: plumbing shared by the six contexts; no rule of the business lives here. */
#include "context.h"
#include "ledger.h"
#include "records.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void outbox_init(struct outbox *o)
{
	memset(o, 0, sizeof *o);
}

void outbox_free(struct outbox *o)
{
	for (size_t i = 0; i < o->n; i++)
		kv_free(&o->items[i]);
	free(o->items);
	outbox_init(o);
}

/* A new, empty item. */
static struct kv *outbox_item(struct outbox *o)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 4;
		o->items = xrealloc(o->items, o->cap * sizeof *o->items);
	}
	kv_init(&o->items[o->n]);
	return &o->items[o->n++];
}

#define BIT(c) (1u << (c))

int context_rests_on(struct rerr *e, unsigned contexts)
{
	if (e)
		e->rests_on |= contexts;
	return -1;
}

int context_refusal(struct store *s, int ctx, struct rerr *e)
{
	struct rerr io = {0};
	char why[128];
	long long head, cur;

	if (e->code != RX_REFUSED || (head = ledger_head(s, &io)) < 0)
		return -1;
	if ((cur = rec_cursor(s, ctx, &io)) >= 0 && cur < head) { /* its own first */
		snprintf(why, sizeof why, "as far as the %s context has applied the log; it is behind "
			 "(switched off, or failing)", context_name(ctx));
		return rerr_later(e, why);
	}
	for (int c = 0; c < CTX_COUNT; c++)
		if ((e->rests_on & BIT(c)) && c != ctx && (cur = rec_cursor(s, c, &io)) >= 0 && cur < head) {
			snprintf(why, sizeof why, "as far as the state shows; the %s context, whose outcomes "
				 "it rests on, is behind (switched off, or failing)", context_name(c));
			return rerr_later(e, why);
		}
	return -1;
}

struct kv *outbox_add(struct outbox *o, enum event_kind kind, const struct event *ev)
{
	static const char *const carry[] = {"reservation", "car", "customer"};
	struct kv *m = outbox_item(o);

	kv_set(m, "type", event_type_of(kind)->type);
	kv_set(m, "ref", kv_get(&ev->f, "id"));
	for (size_t i = 0; i < 3; i++)
		if (kv_get(&ev->f, carry[i]))
			kv_set(m, carry[i], kv_get(&ev->f, carry[i]));
	return m;
}

void outbox_refuse(struct outbox *o, const struct event *ev, int ctx, const char *reason)
{
	struct kv *m = outbox_item(o);

	kv_set(m, "type", event_type_of(EV_REFUSED)->type);
	kv_set(m, "ref", kv_get(&ev->f, "id"));
	kv_set(m, "context", context_name(ctx));
	kv_set(m, "reason", reason);
}

int outbox_refuse_or_fail(struct outbox *o, const struct event *ev, int ctx, const struct rerr *why,
			  struct rerr *e)
{
	if (why->code == RX_IO) {
		*e = *why;
		return -1;
	}
	outbox_refuse(o, ev, ctx, why->msg);
	return 0;
}

void context_today(char out[11], const struct event *ev)
{
	/* A log written before the admission day was recorded: the day of its own time. */
	snprintf(out, 11, "%.10s", ev->admitted[0] ? ev->admitted : kv_get(&ev->f, "time"));
}

static int cmp_booking(const void *a, const void *b)
{
	const char *fa = kv_get(a, "from") ?: "", *fb = kv_get(b, "from") ?: "";
	int c = strcmp(fa, fb);

	return c ? c : strcmp(kv_get(a, "reservation") ?: "", kv_get(b, "reservation") ?: "");
}

void context_sort(struct kv *recs, size_t n)
{
	if (n > 1)
		qsort(recs, n, sizeof *recs, cmp_booking);
}

static int cmp_car(const void *a, const void *b)
{
	return strcmp(kv_get(a, "car") ?: "", kv_get(b, "car") ?: "");
}

void context_sort_cars(struct kv *recs, size_t n)
{
	if (n > 1)
		qsort(recs, n, sizeof *recs, cmp_car);
}

int context_list(struct store *s, int ctx, const char *customer, struct kv **recs, size_t *n,
		 struct rerr *e)
{
	int rc;

	*recs = NULL;
	*n = 0;
	if (customer == NULL) {
		rc = rec_bookings(s, ctx, recs, n, e);
	} else {
		struct kv *rows = NULL;
		size_t nrows = 0;
		rc = rec_rows(s, ctx, OWNER_CUSTOMER, customer, &rows, &nrows, e);
		/* A row names the booking; the context's record of it is what is listed. */
		for (size_t i = 0; rc == 0 && i < nrows; i++) {
			struct kv r;
			int got = rec_booking(s, ctx, kv_get(&rows[i], "reservation") ?: "", &r, e);
			if (got < 0)
				rc = -1;
			else if (got == 0) {
				*recs = xrealloc(*recs, (*n + 1) * sizeof **recs);
				(*recs)[(*n)++] = r;
			}
		}
		store_records_free(rows, nrows);
	}
	context_sort(*recs, *n);
	return rc;
}
