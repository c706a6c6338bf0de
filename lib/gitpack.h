/* gitpack: git's pack and pack index (version 2) written here, for the dispatcher.
 *
 * libgit2's packbuilder writes a pack and then indexes it again (inflating and hashing
 * every object a second time) and searches for deltas; a batch's small new files gain
 * little from deltas, and merging packs needs none. Here each object is written once
 * (stored, not deflated: see gitpack.c), its offset and CRC kept as it is written,
 * and the index written from those. */
#ifndef RENTAL_GITPACK_H
#define RENTAL_GITPACK_H
#include <stddef.h>
#include <git2.h>
#include "util.h"

/* Writes the objects ids[0..n) (read from odb; duplicates allowed) as one pack and its
 * index in dir, both fsynced, the index renamed in last so that a reader never sees
 * one without the other. name gets "pack-<hex>" (the pack's checksum). */
int gitpack_write(git_odb *odb, const git_oid *ids, size_t n, const char *dir, char name[46],
		  struct rerr *e);

/* The id git gives an object of type with these bytes: what git_odb_hash computes,
 * with OpenSSL's SHA-1 (libgit2's collision-detecting one is five times slower on a
 * tree of a few kB, and a batch hashes some 20,000 objects). One thread only. */
void gitpack_hash(git_oid *oid, const void *data, size_t len, git_object_t type);

/* One pack of a repository, as its index tells. */
struct gitpack_info {
	char name[46]; /* pack-<hex> */
	size_t objects;
};

/* The packs in dir (those with both files), smallest first. */
int gitpack_list(const char *dir, struct gitpack_info **packs, size_t *n, struct rerr *e);

/* Writes one pack holding every object of packs[0..k) (in dir), as gitpack_write does:
 * a k-way merge of their indexes in id order, streamed, so that its memory is a few
 * buffers a pack, not a record an object. Entries are copied as they are (each one's
 * zlib stream inflated to find its end, its CRC checked against the old index), not
 * deflated again; deltas of packs made by libgit2 are read through odb and written
 * whole. The old packs stay: remove them once this returns. */
int gitpack_merge(git_odb *odb, const char *dir, const struct gitpack_info *packs, size_t k,
		  char name[46], struct rerr *e);

/* The largest pack a merge makes, in objects (about 550,000 events' worth, 800 MB):
 * a pack that large is not merged again. Without a bound the geometric rule at some
 * point rewrites the whole history in one batch's housekeeping (a 1.5 GB pack at a
 * million events: a batch stalled for minutes, and again, twice as long, at two
 * million); with it, a merge costs at most this, and the packs grow in number by
 * one for each such size of history, each an extra index to search. */
#define GITPACK_MERGE_MAX ((size_t)1 << 21)

/* How many of the smallest packs to merge so that, from the smallest up, each pack holds
 * at least twice the objects of all smaller ones together (git's --geometric=2), never
 * making a pack of more than max objects. 0 or 1: nothing to merge. */
size_t gitpack_geometric(const struct gitpack_info *packs, size_t n, size_t max);

/* Reads objects out of the packs of a folder with plain reads through a cache of
 * cache_bytes, not libgit2's maps: libgit2 maps each index whole, and either keeps
 * the touched pages resident (memory that grows with the history) or, reopened to
 * drop them, takes a page fault for every page again, the hot top of each binary
 * search included. Objects stored as deltas are not read here (1: the caller asks
 * libgit2). One thread. */
struct gitpack_reader;
int gitpack_reader_open(struct gitpack_reader **r, const char *dir, size_t cache_bytes, struct rerr *e);
/* 0: *data (malloc'd; the caller frees) holds the object, of *type and *size.
 * 1: not in these packs, or a delta. -1: a pack is damaged or unreadable. */
int gitpack_reader_read(struct gitpack_reader *r, const git_oid *id, git_object_t *type,
			unsigned char **data, size_t *size);
/* Another reader of the same packs for another thread: its own cache and inflater,
 * the packs' descriptors shared (pread does not move them). Free it before from.
 * NULL if zlib cannot start. */
struct gitpack_reader *gitpack_reader_share(const struct gitpack_reader *from, size_t cache_bytes);
/* How many pages it has read from the files (its cache missed). */
size_t gitpack_reader_preads(const struct gitpack_reader *r);
void gitpack_reader_free(struct gitpack_reader *r);

/* Walkers that read, on threads of their own, the trees from root down to the folder
 * of each of paths[0..n) (in path order), so that a reader following them finds the
 * pages in memory: a commit reads thousands of trees, each a search of an index and a
 * read of a pack, pages scattered over files that grow with the history; once the
 * system has dropped them (an idle home, a host that pages out what was not touched
 * for a minute), each read is a wait on the disk, one after the other, and a virtual
 * disk answers many reads at once about as fast as one. NULL when there are too few
 * paths to gain from it. paths and packs must outlive the walkers. */
struct gitpack_warm;
struct gitpack_warm *gitpack_warm_start(const struct gitpack_reader *packs, const git_oid *root,
					const char *const *paths, size_t n);
/* Stops the walkers where they are; how many trees they read. NULL is nothing. */
size_t gitpack_warm_stop(struct gitpack_warm *w);
/* Waits for the walkers to walk every path; how many trees they read. */
size_t gitpack_warm_wait(struct gitpack_warm *w);

/* Removes pack name (index first: a pack without its index is invisible to git). */
int gitpack_remove(const char *dir, const char *name, struct rerr *e);

/* Removes what a killed writer left: temp files, and packs without an index. */
int gitpack_sweep(const char *dir, struct rerr *e);
#endif
