/* store: the state folder. Changes of a batch gather in memory (the overlay); a commit
 * writes them as one git commit whose objects go into one pack, then to the work tree. */
#ifndef RENTAL_STORE_H
#define RENTAL_STORE_H
#include <stddef.h>
#include "kv.h"

struct store;

/* Creates a git repository at root (branch main) if there is none. */
int store_init_repo(const char *root, struct rerr *e);
/* Opens root as plain files: a commit only writes them (readers, rebuild scratch). */
int store_open(struct store **out, const char *root, struct rerr *e);
/* Opens root, a git work tree (store_git.c): a commit is a git commit first. When the
 * lock is taken, the work tree is brought to the last commit, finishing whatever a
 * crashed run left half done. */
int store_open_git(struct store **out, const char *root, struct rerr *e);
void store_free(struct store *s);
const char *store_root(const struct store *s);

/* The version of the layout of the state files: how paths are formed where they changed.
 * state/layout names it ("version: N"); a home without one, made before 2026-12-03,
 * keeps version 1 (owners/ files, a folder a month in held/); 2 moved both; 3 made an
 * id's entry its event (ledger.c); 4 put a reservation's entry in a car's or customer's
 * folder two shards deep, 16 by 16, not one of 256 (context_entry_path). Opening a home
 * of a version this release does not know fails (RX_CONFIG). */
#define STORE_LAYOUT_CURRENT 4
int store_layout(const struct store *s);
/* Gives the store layout version v from this batch on (state/layout written with it):
 * the genesis batch of a new home, a rebuild's scratch copying the home's. */
void store_set_layout(struct store *s, int v);

/* Takes the dispatcher's lock on the home; RX_TEMP if busy and !wait. */
int store_lock(struct store *s, int wait, struct rerr *e);

/* Reads path (relative to root), seeing this batch's changes. 0 found, 1 absent. */
int store_get(struct store *s, const char *path, char **buf, size_t *len, struct rerr *e);
int store_get_kv(struct store *s, const char *path, struct kv *m, struct rerr *e);
void store_put(struct store *s, const char *path, const char *buf, size_t len);
void store_put_kv(struct store *s, const char *path, const struct kv *m);
/* store_put of bytes that the file same_as holds: where it is ours and on the same file
 * system, the work tree's file becomes a second name of it instead of a new file. */
void store_put_same_as(struct store *s, const char *path, const char *buf, size_t len,
		       const char *same_as);
/* store_put of the bytes that the entry twin of this batch is put with, or that the
 * file twin holds if the batch leaves it alone: the file becomes a second name of
 * twin's, linked after it (a file of its own where twin's bytes are not these when
 * the batch commits). */
void store_put_twin(struct store *s, const char *path, const char *buf, size_t len,
		    const char *twin);
void store_del(struct store *s, const char *path);

/* A unit of changes that can be taken back whole (one event in one context). */
void store_begin(struct store *s);
void store_rollback(struct store *s);
void store_end(struct store *s);

size_t store_changes(const struct store *s);
/* Starts making, on a second thread, the files of the changes made so far (outside a
 * unit), while the caller goes on: the commit links in those whose bytes are still
 * the same and makes the others. Call it again as changes go on. */
void store_ahead(struct store *s);
/* Looks up paths[0..n) (relative to the root; the store takes the array and the
 * strings) on threads of their own, while the caller goes on: the paths a batch is
 * about to read or make. Each look-up reads what the caller's would wait for (the
 * folders' blocks, the files' inodes) when the system has dropped them from memory,
 * and many at once cost about what one does on a virtual disk. One thread times a
 * few spread over the list and starts eleven more only if they waited on the disk:
 * in memory, the batch's own look-ups are as cheap, and more threads would only take
 * the cores.
 * Stops the look-ups of an earlier call; the commit and discard stop them. */
void store_look_ahead(struct store *s, char **paths, size_t n);
/* Waits for the look-ups to finish; how many were made (for tests). */
size_t store_look_wait(struct store *s);
/* Brings the work tree to the last commit if a failed commit left it behind. */
int store_recover(struct store *s, struct rerr *e);
/* Forgets every change not yet committed (a batch that failed half way). */
void store_discard(struct store *s);
/* Writes the overlay: git objects as one pack, the commit, the branch, then the files. */
int store_commit(struct store *s, const char *msg, struct rerr *e);
/* Housekeeping between batches, with nothing of a batch in memory: merges git packs. */
int store_maintain(struct store *s, struct rerr *e);
/* How many git packs hold the history (merging keeps them about log2 of it). */
size_t store_pack_count(struct store *s);
/* The hex id of the last commit, or "" if none. */
void store_head(struct store *s, char out[41]);

/* The names in a folder of the work tree (not the overlay), sorted; readers use it. */
int store_list_dir(const char *dir, char ***names, size_t *n);
void store_list_free(char **names, size_t n);
#endif

/* Reads every flat YAML file under dir (all depths if recursive) as records, sorted
 * by path. Caller frees with store_records_free. Files that do not parse are skipped. */
int store_read_records(const char *dir, int recursive, struct kv **recs, size_t *n);
void store_records_free(struct kv *recs, size_t n);
/* Appends the record in file path (if it parses) to recs. */
void store_records_add(const char *path, struct kv **recs, size_t *n);
