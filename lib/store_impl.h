/* store_impl.h: the inside of a store, shared by store.c (overlay, files) and
 * store_git.c (the version control step). Nothing else includes it. */
#ifndef RENTAL_STORE_IMPL_H
#define RENTAL_STORE_IMPL_H
#include "store.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct entry {
	char *path;
	char *data;
	size_t len;
	int state;     /* ENT_ABSENT: not in the overlay; ENT_PUT; ENT_DEL */
	char *same_as; /* a file that holds data already (store_put_same_as), or NULL */
	char *twin;    /* an entry of this batch with the same bytes (store_put_twin), or NULL */
	struct entry *twin_ent; /* twin's entry, while a commit names the files */
	atomic_int named;       /* the commit has given it its name */
	size_t ahead;  /* index+1 of its latest file made ahead (store_ahead), or 0 */
	int dirty;     /* changed since it was last handed to store_ahead */
};
enum { ENT_ABSENT, ENT_PUT, ENT_DEL };

struct undo {
	size_t ent;
	int state;
	char *data;
	size_t len;
};

/* What a version control behind the files does at each step of a store's life. */
struct store_vcs {
	int (*recover)(struct store *s, struct rerr *e);  /* when the lock is taken */
	/* before the files are written: the changes, sorted by path */
	int (*commit)(struct store *s, struct entry **ents, size_t n, const char *msg, struct rerr *e);
	/* after the files are written */
	int (*committed)(struct store *s, struct entry **ents, size_t n, struct rerr *e);
	void (*abort)(struct store *s);                   /* a commit failed */
	int (*maintain)(struct store *s, struct rerr *e); /* between batches */
	void (*head)(struct store *s, char out[41]);
	void (*free)(struct store *s);
};

struct store {
	char *root;
	char *tmpdir;                /* where files are made before their rename; NULL: beside */
	const struct store_vcs *vcs; /* NULL: plain files */
	void *vcs_data;
	int lockfd;
	struct entry *ents;
	size_t n, cap;
	size_t *slots; /* open addressing: index+1 into ents, 0 empty */
	size_t nslots;
	struct undo *undo;
	size_t nundo, capundo;
	int in_txn;
	struct ahead *ahead; /* files being made ahead of the commit, or NULL */
	size_t fds;          /* how many unnamed files may be open at once */
	int fds_known;       /* fds taken from the descriptor limit yet */
	atomic_size_t open_fds;
	int layout; /* the files' layout version (store_layout) */
	int empty_fd; /* the batch's one empty unnamed file, every new empty file's inode */
	pthread_mutex_t empty_mu;
	struct cached *cache; /* files read from disk this batch (store_get), or NULL */
	uint16_t *cache_used; /* the slots of cache in use, ncached of them */
	size_t ncached;
	pthread_mutex_t cache_mu; /* store_get runs on several threads (ledger_preverify) */
	struct lookahead *look; /* look-ups running ahead of the batch (store_look_ahead) */
};

/* A plain store at root, for store_git.c to dress. */
struct store *store_new(const char *root);
/* Reads the layout version of the files at the store's root (state/layout). */
int store_load_layout(struct store *s, struct rerr *e);
#endif
