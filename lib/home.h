/* home: where a command works (config, spool, state, keys), who it acts as, and the
 * path every writing command shares: check, sign with keys/NAME.key, spool. */
#ifndef RENTAL_HOME_H
#define RENTAL_HOME_H
#include "config.h"
#include "event.h"
#include "store.h"

struct home {
	char *root, *config, *spool, *state, *keys;
	int spool_named; /* the settings name the spool (spool: PATH) */
};

/* The home: opt (--home), else $RENTAL_HOME, else the built-in default. */
void home_resolve(struct home *h, const char *opt);
void home_free(struct home *h);
/* The acting identity: opt (--as), else $RENTAL_USER, else the login name. */
const char *home_actor(const char *opt);
/* Opens the applied state for reading; RX_CONFIG if the folder is not a home. */
int home_open_state(const struct home *h, struct store **s, struct rerr *e);
/* On a replica whose main names no commit: -1 with e (RX_IO) if its rounds had taken a
 * history (main removed since), 0 if none was taken yet. */
int home_replica_lost_main(const struct home *h, struct rerr *e);
/* The layout of s is this release's (rec_check_layout); a replica in an older one is
 * told to have its primary upgraded, as it has no upgrade of its own. RX_CONFIG. */
int home_check_layout(const struct home *h, struct store *s, struct rerr *e);
/* 0 unless state/ has no repository (no .git/HEAD) but is one itself (HEAD, objects/,
 * refs/: put back in its place, git clone --mirror BACKUP state), or holds files an
 * older release checked out: no command may take it for a home without state (a new
 * repository made beside it, and they swept). RX_CONFIG saying what to do. */
int home_state_misplaced(const struct home *h, struct rerr *e);
/* 0 if state/.git is a repository (and state/ is not misplaced: home_state_misplaced);
 * else RX_CONFIG saying what to do: no state/.git (put back from a backup, or carctl
 * init for a new home), or one whose making did not finish (no HEAD: carctl init
 * finishes it). The dispatcher makes none: only carctl init does. */
int home_has_repo(const struct home *h, struct rerr *e);
/* Run as root on a home whose state/.git is another user's (the service's), the process
 * becomes that user (its groups too), with a umask that lets read what its last write
 * of main lets read (and search a folder where it lets read): what it writes then
 * (packs, refs, the lock, push records) is the service's, readable by whom the
 * service's own files are. Else nothing changes. RX_PERM if it cannot. */
int home_run_as_owner(const struct home *h, struct rerr *e);
/* Reads the settings (cfg_load; a relative remote is the home's). */
int home_settings(const struct home *h, struct cfg *c, struct rerr *e);
/* Reads the settings into c (NULL: only the spool is wanted), and takes the spool from
 * them when they name one (spool: PATH, relative to the home unless absolute). */
int home_load_config(struct home *h, struct cfg *c, struct rerr *e);
/* Whether other (the home spool/served-by names) is a home, not h, whose settings name
 * h's spool too: a copy of h run by turns (cron), where no lock is held to tell. */
int home_rival(const struct home *h, const char *other);
/* What a replica follows (carctl init --replica): state/.git/rental-primary. */
struct replica {
	char url[CFG_PATH_MAX];                          /* the primary's repository */
	unsigned char trust[crypto_sign_PUBLICKEYBYTES]; /* the dispatcher key trusted */
	int trusted;                                     /* trust holds a key yet */
	char trusted_from[64];                           /* "--trust", or the first commit */
};
char *home_replica_file(const struct home *h);
/* How a replica's last round of following went: state/.git/rental-follow. */
char *home_follow_file(const struct home *h);
int home_is_replica(const struct home *h);
/* What the home follows: 0, or RX_CONFIG if it is not a replica. */
int home_replica_read(const struct home *h, struct replica *r, struct rerr *e);
int home_replica_write(const struct home *h, const struct replica *r, struct rerr *e);
/* Whether a writing command may write here: RX_PERM on a replica whose settings name
 * no spool (its own is drained by no one). */
int home_check_writable(const struct home *h, struct rerr *e);
/* The role of a registered identity; RX_PERM if it is not registered or its key is
 * revoked, RX_TEMP then while an event naming it (its registration) waits in the spool. */
int home_role(const struct home *h, struct store *s, const char *actor, int *role, struct rerr *e);
/* Requires the actor to have one of the roles (bit set); RX_PERM otherwise. */
int home_require(const struct home *h, struct store *s, const char *actor, unsigned roles,
		 const char *what, struct rerr *e);
/* A refusal (e) of an act on a reservation, a key or a car read from the applied
 * state, kept as it is; or, while an event on it waits in the spool (the step before
 * this one, written and not yet applied: a reservation's, or the key's or the car's
 * registration), made RX_TEMP. Returns -1. A car's only while management does not
 * know it. */
int home_refusal_pending(const struct home *h, const char *res, struct rerr *e);
int home_key_waits(const struct home *h, const char *name, struct rerr *e);
int home_car_waits(const struct home *h, struct store *s, const char *car, struct rerr *e);
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
/* Creates a replica home at dir following url, trusting the dispatcher key trust
 * (NULL: the one the history's first commit registers), and runs its dispatcher once
 * to take the history. An error after the home is made leaves *created 1. */
int home_init_replica(const char *dir, const char *url, const char *trust, int *created,
		      struct rerr *e);
#endif
