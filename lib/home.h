/* home: where a command works (config, spool, state, keys), who it acts as, and the
 * path every writing command shares: check, sign with keys/NAME.key, spool. */
#ifndef RENTAL_HOME_H
#define RENTAL_HOME_H
#include "config.h"
#include "event.h"
#include "store.h"

struct home {
	char *root, *config, *spool, *state, *keys;
};

/* The home: opt (--home), else $RENTAL_HOME, else the built-in default. */
void home_resolve(struct home *h, const char *opt);
void home_free(struct home *h);
/* The acting identity: opt (--as), else $RENTAL_USER, else the login name. */
const char *home_actor(const char *opt);
/* Opens the applied state for reading; RX_CONFIG if the folder is not a home. */
int home_open_state(const struct home *h, struct store **s, struct rerr *e);
int home_load_config(const struct home *h, struct cfg *c, struct rerr *e);
/* The role of a registered identity; RX_PERM if it is not registered or its key is
 * revoked. */
int home_role(struct store *s, const char *actor, int *role, struct rerr *e);
/* Requires the actor to have one of the roles (bit set); RX_PERM otherwise. */
int home_require(struct store *s, const char *actor, unsigned roles, const char *what,
		 struct rerr *e);
/* The early check of a reservation named on the command line: a well-formed id
 * (RX_DATA), known (RX_REFUSED, or RX_TEMP if it waits in the spool), and the
 * actor's own unless admin (RX_PERM). */
int home_check_reservation(const struct home *h, struct store *s, const char *res,
			   const char *actor, int role, struct rerr *e);
/* Signs ev with keys/ACTOR.key and writes it into the spool. With s, that key must be
 * the one registered for ACTOR, not revoked (RX_PERM). */
int home_submit(const struct home *h, struct store *s, const char *actor, struct event *ev,
		struct rerr *e);
/* Creates a home at dir; *created is 0 if it was a home already (nothing changed). */
int home_init(const char *dir, int *created, struct rerr *e);
#endif
