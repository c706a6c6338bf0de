/* replicate: the primary's side of replication. main is pushed to every remote the
 * settings name (replicate: remotes), each by a process of its own, off the batch's
 * path; what each remote was last given, and when, is kept beside the repository
 * (state/.git/rental-replicate/), so that --check can tell a remote that lags. */
#ifndef RENTAL_REPLICATE_H
#define RENTAL_REPLICATE_H
#include <sys/types.h>
#include "config.h"
#include "home.h"

/* Seconds a remote may go without answering before a push to it (or a replica's
 * fetch from its primary) counts as failed: half of max_lag_seconds, at most 60. */
int replicate_timeout(const struct cfg *c);

/* What is known of one remote. */
struct remote_state {
	char pushed[41];        /* the commit it was last given ("" never) */
	long long pushed_at;    /* when (Unix seconds; 0 never) */
	long long tried_at;     /* the last try */
	char tried[41];         /* main then ("" unknown) */
	char error[320];        /* why the last try failed ("" it did not) */
};

int replicate_state(const struct home *h, const char *url, struct remote_state *st,
		    struct rerr *e);
/* Records that pushing to url failed for why (a pusher that never answered). */
int replicate_note_failure(const struct home *h, const char *url, const char *why, struct rerr *e);
/* Whether some remote of c was not given main's commit yet: 1, 0, or -1. */
int replicate_behind(const struct home *h, const struct cfg *c, struct rerr *e);
/* Pushes main to url until url has the commit main names, recording each push; main's
 * commit only if signer (the dispatcher's key, or the one a replica trusts) signed it. Only
 * one process pushes to a remote at a time: if another does, waits for it if wait,
 * else returns 1 at once (that one looks at main again before it stops). With wait (a
 * push asked for), pushes at least once, whatever the record says was pushed. 0 done,
 * -1 failed (e). */
int replicate_push(const struct home *h, const char *url, const unsigned char *signer, int idle,
		   int wait, struct rerr *e);
/* The outcome of pushing to one remote. */
struct push_result {
	enum { PUSH_DONE, PUSH_BUSY, PUSH_FAILED } outcome; /* BUSY: another process pushes */
	struct remote_state before, after;
};
/* Pushes main to every remote of c, each in a process of its own that ends when its
 * remote stops answering (replicate_timeout), and waits for them all: res[i] for
 * c->remotes[i]. signer, wait: as replicate_push's. */
int replicate_push_all(const struct home *h, const struct cfg *c, const unsigned char *signer, int wait,
		       struct push_result *res, struct rerr *e);
/* Starts the dispatcher at self as `dispatcher --push --quiet --home ROOT` in the
 * background, its messages to stderr if log, else nowhere: its pid, or -1 (e). */
pid_t replicate_spawn(const char *self, const struct home *h, int log, struct rerr *e);

/* How far behind url is, in seconds: 0 if it has main's commit, else the age of the
 * oldest commit it lacks. *commits counts those (to 100000 at most). */
int replicate_lag(const struct home *h, const char *url, long long *lag, long *commits,
		  struct rerr *e);
#endif
