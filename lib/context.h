/* context: what every bounded context shares: its outbox of outcome events, and the
 * listing of a context's bookings. Where records lie is records.h's business. */
#ifndef RENTAL_CONTEXT_H
#define RENTAL_CONTEXT_H
#include "config.h"
#include "event.h"
#include "records.h"
#include "store.h"

/* The outcomes a context decides while applying one event; the dispatcher signs them
 * and appends them to the log, where the other contexts learn of them. An event may
 * make several of one kind (a car removed cancels each booking it still had): each
 * then carries "_key", which tells their ids apart and is not a field of theirs. */
struct outbox {
	struct kv *items;
	size_t n, cap;
};

typedef int (*context_apply_fn)(struct store *s, const struct event *ev, struct outbox *out,
				struct rerr *e);

void outbox_init(struct outbox *o);
void outbox_free(struct outbox *o);
/* A new outcome of kind, answering ev: "ref" and the source's reservation, car and
 * customer fields are filled in when ev has them. */
struct kv *outbox_add(struct outbox *o, enum event_kind kind, const struct event *ev);
/* Records that the context refused ev for reason. */
void outbox_refuse(struct outbox *o, const struct event *ev, int ctx, const char *reason);
/* A rule said no (why): record the refusal and go on. A fault (RX_IO) instead fails
 * the context on this event, which is held back until the fault is mended. */
int outbox_refuse_or_fail(struct outbox *o, const struct event *ev, int ctx, const struct rerr *why,
			  struct rerr *e);

/* Marks the refusal in e as resting on the outcomes of the contexts (1 << CTX_...) too
 * (the rule's: an unknown car on management's registrations): a command says "try
 * again later" while one of them is behind. Returns -1. */
int context_rests_on(struct rerr *e, unsigned contexts);
/* A refusal (e) a command met in context ctx's applied state, kept as it is; or, while
 * ctx, or a context whose outcomes it rests on (context_rests_on), is behind the log
 * (switched off, or failing) and the state may not show yet what the log holds, made
 * RX_TEMP. Returns -1. */
int context_refusal(struct store *s, int ctx, struct rerr *e);

/* The day the rules take as today for ev: the day it was admitted into the log. */
void context_today(char out[11], const struct event *ev);

/* Sorts booking records by from, then by id: the order people read them in. */
void context_sort(struct kv *recs, size_t n);
/* Sorts records of cars by their "car" field. */
void context_sort_cars(struct kv *recs, size_t n);
/* A context's booking records, sorted: the customer's (their rows in the context) or,
 * with customer NULL, all of them. */
int context_list(struct store *s, int ctx, const char *customer, struct kv **recs, size_t *n,
		 struct rerr *e);

/* Every context's entry point, in the order the dispatcher runs them. */
int management_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int reservation_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int payment_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int rental_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int rating_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int mypage_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
#endif
