/* dispatch: the dispatcher's work: admit spooled events into the log, run each
 * context over the log from its cursor, commit, clean the spool; rebuild; check. */
#ifndef RENTAL_DISPATCH_H
#define RENTAL_DISPATCH_H
#include "config.h"
#include "home.h"
#include "store.h"

#define DISPATCH_BATCH_MAX 1000

/* A list of lines for the operator (differences found, problems seen), as made: a
 * newline or control character in a name or value is escaped by whoever prints them. */
struct report {
	char **lines;
	size_t n;
	int failed; /* a line that makes the result unhealthy */
};
void report_add(struct report *r, int failure, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_free(struct report *r);

struct dispatch_stats {
	size_t applied, skipped, quarantined, held, outcomes;
	size_t failed[CTX_COUNT];    /* runs of a context that failed this batch */
	char failure[CTX_COUNT][256]; /* why */
	size_t remaining;            /* events left in the spool after this batch */
	int committed;               /* the batch is in main: a failure after it loses nothing */
	/* A line for each event quarantined, booking rejected or event refused, with its
	 * reason, for the operator's log: the caller frees it (report_free). */
	struct report notes;
};


/* Opens the home's state for the dispatcher and takes its lock (waiting or RX_TEMP).
 * On the first run of a new home it makes the git repository. A home in an older
 * layout is RX_CONFIG, with what to do. */
int dispatch_open(const struct home *h, struct store **s, int wait, struct rerr *e);
/* One batch; s must be opened by dispatch_open. */
int dispatch_batch(const struct home *h, struct store *s, const struct cfg *c,
		   struct dispatch_stats *st, struct rerr *e);
/* Rebuilds every record from the log into a scratch store, lists the differing ones
 * in r, repairs and commits them, and counts them in *rewritten; r also lists the
 * logged outcomes the rules decide otherwise now (the log stands: not repaired).
 * upgrade: the home may be in an older layout, whose log is replayed into this
 * release's records; every record that moves or changes is counted, not listed. */
int dispatch_rebuild(const struct home *h, int upgrade, struct report *r, size_t *rewritten,
		     struct rerr *e);
/* Long work (a rebuild, an upgrade) tells fn how far it is: a phase, done of total,
 * every thousand steps and once at a phase's end. NULL: nothing is told. */
void dispatch_on_progress(void (*fn)(const char *phase, size_t done, size_t total));
/* The public key that signs the home's commits: the dispatcher's. */
int dispatch_signing_key(const struct home *h, unsigned char pk[crypto_sign_PUBLICKEYBYTES],
			 struct rerr *e);
/* A dispatcher that finds the home served by another tells fn before it waits. */
void dispatch_on_wait(void (*fn)(const char *why));
/* Health: settings, state, keys, spool; r->failed says unhealthy. */
int dispatch_check(const struct home *h, struct report *r, struct rerr *e);
#endif
