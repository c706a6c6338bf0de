/* context: what every bounded context shares: its outbox of outcome events, its
 * cursor in the log, and the paths of its per-entity state files. */
#ifndef RENTAL_CONTEXT_H
#define RENTAL_CONTEXT_H
#include "config.h"
#include "event.h"
#include "store.h"

#define OUTBOX_MAX 4

/* The outcomes a context decides while applying one event; the dispatcher signs them
 * and appends them to the log, where the other contexts learn of them. */
struct outbox {
	struct kv items[OUTBOX_MAX];
	size_t n;
};

typedef int (*context_apply_fn)(struct store *s, const struct event *ev, struct outbox *out,
				struct rerr *e);

void outbox_init(struct outbox *o);
void outbox_free(struct outbox *o);
/* A new outcome of type, answering ev: "ref" and the source's reservation, car and
 * customer fields are filled in when ev has them. */
struct kv *outbox_add(struct outbox *o, const char *type, const struct event *ev);
/* Records that the context refused ev for reason. */
void outbox_refuse(struct outbox *o, const struct event *ev, int ctx, const char *reason);

/* A rule said no (why): record the refusal and go on. A fault (RX_IO) instead fails
 * the context on this event, which is held back until the fault is mended. */
int outbox_refuse_or_fail(struct outbox *o, const struct event *ev, int ctx, const struct rerr *why,
			  struct rerr *e);
/* A context's record of reservation res: 0 found, 1 unknown (or not an id), -1 error. */
int context_get(struct store *s, const char *ctx, const char *res, struct kv *r, struct rerr *e);

/* "CTX/res/ab/cd/RES.yaml": a context's file for one reservation. */
void context_res_path(char *out, size_t size, const char *ctx, const char *res);
/* "DIR/a/b/RES" + suffix (layout 4; "DIR/ab/RES" before): one reservation's entry in
 * a car's or customer's folder, sharded by the first two hex digits of its id so that
 * the folder's git trees stay small however long its history grows. Two folders of
 * 16, not one of 256: a batch rewrites the folder's tree, and a full one of 256
 * entries is 7 kB, written again for every car and customer in every batch. */
void context_entry_path(const struct store *s, char *out, size_t size, const char *dir,
			const char *res, const char *suffix);
/* "CTX/WHAT/xx/NAME": a context's folder for one car or customer. */
void context_name_dir(char *out, size_t size, const char *ctx, const char *what, const char *name);
long long context_cursor(struct store *s, int ctx, struct rerr *e);
void context_set_cursor(struct store *s, int ctx, long long seq);

/* Every context's entry point, in the order the dispatcher runs them. */
int management_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int reservation_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int payment_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int rental_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int rating_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);
int mypage_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e);

/* Sorts reservation records by from, then by id: the order people read them in. */
void context_sort(struct kv *recs, size_t n);
/* A context's reservation records, sorted: the customer's (through its customers/
 * index) or, with customer NULL, all of them. */
int context_list(struct store *s, const char *ctx, const char *customer, struct kv **recs,
		 size_t *n, struct rerr *e);
#endif
