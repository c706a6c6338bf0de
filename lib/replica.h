/* replica: a home that follows a primary's history (carctl init --replica URL DIR).
 * Its dispatcher asks the primary for its main, fetches what is new and checks every
 * commit it adds before its own main moves there: each descends from the last good
 * one and is signed by the trusted dispatcher key, and each event its log gains is
 * signed by a key registered before it whose role may write it (as the primary
 * admitted it), and the ledger (ids, keys, the log's head) is what the log makes. A
 * history that fails is refused, with the reason, and main stays at the last good
 * commit. Its state is read by every command as a primary's is. */
#ifndef RENTAL_REPLICA_H
#define RENTAL_REPLICA_H
#include "config.h"
#include "home.h"
#include <signal.h>


/* What one round of following did. */
struct follow {
	int unreachable;   /* the primary did not answer (reason) */
	int refused;       /* its history was refused (reason); main is at the last good */
	int failed_here;   /* this home could not take it: its disk (reason) */
	char reason[600];
	long taken;        /* commits main moved over */
	char head[41];     /* main after the round ("" none yet) */
	char tip[41];      /* the primary's main ("" unknown) */
};
/* One round, recorded for --check (state/.git/rental-follow). The primary may go idle
 * seconds without answering; the fetch runs in a child process (transport_fetch),
 * which stop (NULL: none), once set by the caller's signal handler, ends. The
 * dispatcher's lock must be held. 0, or -1 for a fault of this home (e). */
int replica_follow(const struct home *h, int idle, const volatile sig_atomic_t *stop,
		   struct follow *f, struct rerr *e);

/* The last round as recorded. */
struct follow_status {
	long long checked_at, answered_at; /* the last round, the last answer (0: never) */
	char head[41], tip[41];
	char refused[600], error[600];     /* the last round's refusal, or why no answer */
	char failed[600];                  /* or why this home could not take the answer */
};
int replica_status(const struct home *h, struct follow_status *st, struct rerr *e);
#endif
