/* store: the state, which is the tree of the commit that `main` names in state/.git.
 * A store is used by one thread at a time (its caches and its packs' list change as
 * it reads).
 * Every command reads it through here; the dispatcher gathers a batch's changes in
 * memory on top of it and commits them as one pack and a move of the ref. */
#ifndef RENTAL_STORE_H
#define RENTAL_STORE_H
#include <stddef.h>
#include "kv.h"
#include "sign.h"

struct store;

/* Makes the repository at state/.git (bare, branch main) if there is none, or
 * finishes one whose making stopped part way (no HEAD yet). */
int store_init_repo(const char *state, struct rerr *e);
/* Opens the state of the home at state for reading (and, after store_lock, writing):
 * RX_CONFIG if there is no repository. */
int store_open(struct store **out, const char *state, struct rerr *e);
/* A store on like's repository that starts from an empty tree and never moves a ref:
 * a rebuild replays the log into it. Its packs go into a scratch folder that
 * store_free removes. */
int store_open_scratch(struct store **out, struct store *like, struct rerr *e);
/* A store that reads the tree of the commit hex, not main's, and never moves a ref;
 * with scratch, it starts from that tree as store_open_scratch does from an empty one
 * (a replica checks a fetched commit against what its log makes of its parent). */
int store_open_commit(struct store **out, const char *state, const char *hex, int scratch,
		      struct rerr *e);
void store_free(struct store *s);
/* Signs every commit store_commit makes with k (git's SSH signature; gitsig.h). The
 * caller keeps k until the store is freed. */
void store_set_signer(struct store *s, const struct seckey *k);
/* From the moment a commit of s moves main, out_of_memory says done after "out of
 * memory, " (util.h's out_of_memory_after): short of memory after it, the program says
 * what holds. NULL: nothing. A commit of nothing moves nothing, and says nothing. */
void store_oom_after_commit(struct store *s, const char *done);

/* Takes the dispatcher's lock on the home (waiting, or RX_TEMP if busy and !wait),
 * then sweeps what a dead run left and reads main again. */
int store_lock(struct store *s, int wait, struct rerr *e);
/* Removes what a release that kept the state checked out left beside the repository
 * (the entries of state/ named in checked_out, a NULL-ended list; git's index; its own
 * files in .git) and marks the repository bare: once the state is in this release's
 * layout, never before (until the upgrade commits, that release can still run the
 * home). Anything else in state/ is no one's checkout and stays. */
int store_drop_checkout(struct store *s, const char *const *checked_out, struct rerr *e);


/* Reads path, seeing this batch's changes: 0 (*buf malloc'd, NUL-terminated), 1 absent. */
int store_get(struct store *s, const char *path, char **buf, size_t *len, struct rerr *e);
int store_get_kv(struct store *s, const char *path, struct kv *m, struct rerr *e);
/* Whether this batch has put or deleted path: its committed bytes are not what it sees. */
int store_pending(struct store *s, const char *path);
void store_put(struct store *s, const char *path, const char *buf, size_t len);
void store_put_kv(struct store *s, const char *path, const struct kv *m);
void store_del(struct store *s, const char *path);

/* A unit of changes that can be taken back whole (one event in one context). */
void store_begin(struct store *s);
/* -1 and e set if a read of the committed state failed in this unit, even one whose
 * caller went on without it (a table rewritten from what it could not read would
 * lose its other rows): the unit must be taken back. */
int store_unit_failed(const struct store *s, struct rerr *e);
/* Fails the unit under way (if any) for why: what was read is damaged (a table with a
 * line that is no row), whoever asked. */
void store_unit_fail(struct store *s, const struct rerr *why);
void store_rollback(struct store *s);
void store_end(struct store *s);
size_t store_changes(const struct store *s);
/* Forgets every change not yet committed (a batch that failed half way). */
void store_discard(struct store *s);

/* Writes the changes: new trees and blobs as one pack, fsynced, then the commit and
 * main moved to it, the one commit point. A scratch store writes its pack and takes
 * the new tree as its own, with no commit. msg: a line an event. */
int store_commit(struct store *s, const char *msg, struct rerr *e);
/* Takes the lock again (waiting) if its file was removed or replaced since: 0, or as
 * store_lock. The daemon's, before each drain. */
int store_keep_lock(struct store *s, struct rerr *e);
/* Between batches: merges packs so that they stay about log2 of the history. */
int store_maintain(struct store *s, struct rerr *e);
size_t store_pack_count(const struct store *s);
/* Whether the commit hex can be read here. */
int store_commit_exists(struct store *s, const char *hex);
/* A main that names no commit in a repository that holds packs (removed by hand): -1
 * with e (code) saying how to set it back; 0 otherwise (a new home, or one whose
 * main is there). */
int store_main_missing(const struct store *s, int code, struct rerr *e);
/* Whether the packs look whole, as gitrepo_check_packs says. */
int store_check_packs(const struct store *s, struct rerr *e);
/* Whether state's repository holds a pack without its index: 1 and its name, or 0
 * (asked without opening it: the commit may be in that pack). */
int store_unindexed_pack(const char *state, char name[51]);
/* Whether main names a commit yet (a home's genesis batch makes the first). */
int store_has_commit(const struct store *s);
/* The hex id of main's commit, or "" if none. */
void store_head(const struct store *s, char out[41]);

/* Whether main's commit is signed by pk (the dispatcher's key): 0 if it is, or there is
 * none; 1 if not (a person's commit), base then the newest of its first parents that
 * is; 2 if none is (a history older than signing); -1 if one is unreadable. A replica
 * takes no commit that is not, nor any made on one. */
int store_signed_base(struct store *s, const unsigned char *pk, char base[41], struct rerr *e);
/* Reads main again if it moved since (by hand, while a daemon held the lock): what was
 * read of the commit before is dropped. */
int store_follow_main(struct store *s, struct rerr *e);
/* Moves main to the commit hex, which is read from then on (nothing uncommitted kept). */
int store_set_main(struct store *s, const char *hex, struct rerr *e);

/* Calls fn for every file under dir as committed (not the overlay), in tree order. */
typedef int (*store_walk_fn)(const char *path, const char *name, void *arg, struct rerr *e);
int store_walk(struct store *s, const char *dir, store_walk_fn fn, void *arg, struct rerr *e);
/* Every file under dir that parses as a record, in path order; unparseable ones are
 * skipped. Caller frees with store_records_free. */
int store_read_records(struct store *s, const char *dir, struct kv **recs, size_t *n,
		       struct rerr *e);
void store_records_free(struct kv *recs, size_t n);

/* Calls fn for every path whose bytes differ between the committed trees of a and b
 * (on one repository), except those under skip. */
int store_diff(struct store *a, struct store *b, const char *skip, store_walk_fn fn, void *arg,
	       struct rerr *e);
/* Reads every object of a's committed tree (but under skip) and, for each one damaged
 * or missing there, writes the good copy b holds under the same id (b: a rebuild's
 * scratch store, on the same repository) into a pack of a's, then merges every pack
 * into one, which holds good copies only. fn(path, hex id of the object, arg, e) is
 * called for each (path "" is the root folder). */
int store_mend(struct store *a, struct store *b, const char *skip, store_walk_fn fn, void *arg,
	       struct rerr *e);
#endif
