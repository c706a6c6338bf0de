/* git: a git repository's objects and refs, read and written with plain file I/O
 * (formats: git's Documentation/gitformat-pack.txt, gitformat-index, git-cat-file).
 * Every command reads the state through it, so none pays libgit2's start-up; the
 * dispatcher writes its batches through it, one pack each. */
#ifndef RENTAL_GIT_H
#define RENTAL_GIT_H
#include <stddef.h>
#include <stdio.h>
#include "util.h"

struct gid {
	unsigned char b[20];
};

enum git_type { GIT_COMMIT = 1, GIT_TREE = 2, GIT_BLOB = 3 };

void gid_hex(char out[41], const struct gid *id);
/* 0, or -1 if hex is not 40 hex digits. */
int gid_parse(struct gid *id, const char *hex);
int gid_cmp(const struct gid *a, const struct gid *b);
/* The id git gives an object of type with these bytes. SHA-1 without git's collision
 * detection: see git.c for why that is safe for what the state holds. */
void git_hash(struct gid *id, enum git_type type, const void *data, size_t len);

/* An open repository: its packs (and loose objects) for reading. */
struct gitrepo;
int gitrepo_open(struct gitrepo **r, const char *gitdir, struct rerr *e);
void gitrepo_free(struct gitrepo *r);
/* Reads the packs again if the folder changed (a batch or a merge of another process). */
int gitrepo_refresh(struct gitrepo *r, struct rerr *e);
/* Also reads the packs of dir (a rebuild's scratch packs); they are written there. */
int gitrepo_use_packdir(struct gitrepo *r, const char *dir, struct rerr *e);
size_t gitrepo_pack_count(const struct gitrepo *r);
/* The packs no pending mark names: those of commits main has reached (a batch's pack
 * is in place, marked, before main moves to its commit). */
size_t gitrepo_settled_count(const struct gitrepo *r);
/* Whether every pack looks whole without reading its objects (its index's size and
 * fanout, its head and end as its index says): 0, or -1 with e naming the first that
 * does not (RX_IO). A damaged object inside one is found when it is read. */
int gitrepo_check_packs(const struct gitrepo *r, struct rerr *e);

/* Reads object id: 0 (*data malloc'd, NUL-terminated, the caller frees), 1 absent,
 * -1 damaged or unreadable (e says what). A copy whose bytes are not the id's is
 * passed over for another in a later pack, if one holds it. */
int git_read(struct gitrepo *r, const struct gid *id, enum git_type *type, char **data,
	     size_t *len, struct rerr *e);

/* The id a ref names: 0, 1 if there is no such ref, -1 on error. */
int git_ref_read(const char *gitdir, const char *ref, struct gid *id, struct rerr *e);
/* Points ref at id: a new file fsynced, renamed over the old, the folder fsynced. */
int git_ref_write(const char *gitdir, const char *ref, const struct gid *id, struct rerr *e);
/* The same where another may move the ref too (a remote's; main, which git by hand
 * may move): only if the ref names was (NULL: names nothing), and with REF.lock made
 * only if absent, as git does (one older than stale seconds, a dead writer's, is
 * removed first). 0; 1 if the ref names something else, nothing written; 2 if another
 * holds the lock (e says so); -1. crash: as ref_put's. */
int git_ref_swap(const char *gitdir, const char *ref, const struct gid *was, const struct gid *id,
		 int stale, const char *crash, struct rerr *e);
/* Makes gitdir bare, as older releases' homes were not: no index, core.bare true. */
int git_make_bare(const char *gitdir, struct rerr *e);
/* Makes a bare repository at gitdir whose HEAD is refs/heads/main. */
int git_init(const char *gitdir, struct rerr *e);

/* What the headers of a commit say: its tree, its first parent and how many it has,
 * and the committer's time (Unix seconds). */
struct git_commit_info {
	struct gid tree, parent;
	int nparents;
	long long time;
};
/* Parses a commit's headers: 0, or -1 if they are not a commit's. */
int git_commit_parse(const char *data, size_t len, struct git_commit_info *c);
/* Reads the commit id (its bytes in *data, the caller's to free) and parses its headers:
 * 0; -1 if it is missing, unreadable, not a commit or damaged (e names it, RX_IO). */
int git_read_commit(struct gitrepo *r, const struct gid *id, char **data, size_t *len,
		    struct git_commit_info *c, struct rerr *e);

/* One entry of a tree. */
struct git_entry {
	const char *name; /* into the tree's bytes, NUL-terminated there */
	int is_tree;
	struct gid id;
};
/* git's order of a tree's entries (struct git_entry, for qsort too): names compared as
 * bytes, a folder's as if it ended in '/'. */
int git_entry_cmp(const void *a, const void *b);
/* The same order of names x and y (lx, ly bytes, not NUL-terminated), each a folder
 * or not: <0, 0 or >0. */
int git_name_cmp(const char *x, size_t lx, int xtree, const char *y, size_t ly, int ytree);
/* Steps through a tree's bytes: 1 and *ent filled, 0 at the end, -1 if damaged. */
int git_tree_next(const char *data, size_t len, size_t *at, struct git_entry *ent);
/* Sorts entries in git's tree order and writes the tree's bytes (*out malloc'd). */
void git_tree_format(struct git_entry *ents, size_t n, char **out, size_t *len);

/* Objects gathered for one pack. */
struct gitpack_new {
	struct newobj *v;
	size_t n, cap;
};
/* Adds an object (the pack takes a copy) and gives its id. */
void gitpack_add(struct gitpack_new *p, enum git_type type, const void *data, size_t len,
		 struct gid *id);
/* Writes the objects as one pack and its index in dir, both fsynced, the index last,
 * then the folder fsynced: a reader sees the pack whole or not at all. With pending
 * (a batch's pack: the commit that is to move main next), the pack is marked so that
 * a run dying before main moves leaves it to gitrepo_sweep_pending. */
int gitpack_write(struct gitpack_new *p, const char *dir, const struct gid *pending,
		  struct rerr *e);
/* Removes the pending marks of dir: main has moved to their commit (a mark left by a
 * crash after that is kept by the sweep, which finds main names it). */
int gitpack_clear_pending(const char *dir, struct rerr *e);
/* Writes the objects as a pack alone, no index, to f (flushed), as git's protocols
 * send one: 0, or -1 (RX_TEMP when f cannot be written). */
int gitpack_send(struct gitpack_new *p, FILE *f, struct rerr *e);
void gitpack_new_free(struct gitpack_new *p);

/* Merges the smallest packs of the repository into one when, from the smallest up,
 * some pack holds fewer objects than those below it together (git's --geometric=2):
 * the packs stay about log2 of the history in number. With all, every pack. Of an
 * object several packs hold, the first good copy is taken. A merge waits (0, nothing
 * done) while the folder's file system has no room for it. */
int gitrepo_merge(struct gitrepo *r, int all, struct rerr *e);
/* Removes what a killed writer (a batch's, a merge's or a fetch's) left in the pack
 * folder: temp files, locks, a pack without its index or an index without its pack.
 * Only while no one writes there (under the dispatcher's lock). */
void gitrepo_sweep(const char *packdir);
/* Whether packdir holds a pack without its index (removed, or lost to damage): 1 and
 * the first one's name, or 0. */
int gitrepo_unindexed(const char *packdir, char name[51]);
/* Removes the packs of batches that died before main moved: marked pending after main
 * last moved, with a commit that named (1 named, 0 not, -1 cannot tell) says main does
 * not name. Under the dispatcher's lock. */
int gitrepo_sweep_pending(struct gitrepo *r, int (*named)(const struct gid *commit, void *arg),
			  void *arg, struct rerr *e);
#endif
