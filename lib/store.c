/* store: the state as git objects. Reads walk main's tree from its root (trees kept in
 * a cache by id: they never change); a batch's changes wait in an overlay, and
 * the commit writes the blobs and the trees on their paths as one pack, then the
 * commit object, then moves main. Nothing else is ever written under state/. */
#include "store.h"
#include "git.h"
#include "gitsig.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REF_MAIN "refs/heads/main"
#define SCRATCH "rental-scratch" /* in .git: the packs of a scratch store */
#define TREE_BYTES (24 << 20) /* trees kept by id, at most: past it, the cache starts over */
#define SEEN_BYTES (16 << 20) /* committed files kept as read, at most, with their entries */
/* A tree longer than this is searched by halves, by where its entries start: a folder
 * whose names a writer chooses (ids) may hold tens of thousands, each looked up. */
#define HALVED_BYTES 4096

struct entry {
	char *path;
	char *data; /* NULL: no file (deleted, or none committed) */
	size_t len;
	int state; /* ENT_ABSENT, ENT_PUT, ENT_DEL, ENT_SEEN */
};
/* ENT_SEEN: the committed file, as read (data NULL: there is none); not a change. */
enum { ENT_ABSENT, ENT_PUT, ENT_DEL, ENT_SEEN };

struct undo {
	size_t ent;
	int state;
	char *data;
	size_t len;
};

struct cached_tree {
	struct gid id;
	char *data;
	size_t len;
	size_t *at, nat; /* a long tree's: where each entry starts (NULL: not made yet) */
};

struct store {
	char *state, *gitdir;
	char *packdir; /* where commits write their pack */
	char *lockpath; /* the dispatcher's lock on the home */
	int scratch;
	int fixed; /* reads the commit it was opened on, never main */
	const struct seckey *signer; /* signs its commits, if set */
	const char *oom_done; /* what out of memory says once main moved (NULL: nothing) */
	struct gitrepo *repo;
	struct gid head, root; /* main's commit and its tree; zero: none */
	int has_head, has_root;
	int lockfd;
	struct entry *ents;
	size_t n, cap;
	size_t *slots, nslots;
	struct undo *undo;
	size_t nundo, capundo;
	int in_txn;
	struct rerr unit_err; /* a read that failed in this unit (code 0: none) */
	/* Trees read, by id: an open-addressed table, at most half full, which grows as a
	 * batch reads (a command reads a few dozen trees, a batch at a million events ten
	 * thousand). */
	struct cached_tree *trees;
	size_t tree_slots, ntrees, tree_bytes;
	size_t seen_bytes;
	/* The folders the last lookup went through (walked.ends[i] bytes of walked.path
	 * name the folder walked.ids[i], in the tree walked.root): a lookup under the same
	 * folders starts at the deepest, so lookups in path order read each folder once. */
	struct {
		struct gid root;
		char path[256];
		size_t ends[16];
		struct gid ids[16];
		int n;
	} walked;
};

/* ---- reading the committed tree ---- */

static void drop_trees(struct store *s)
{
	for (size_t i = 0; i < s->tree_slots; i++) {
		free(s->trees[i].data);
		free(s->trees[i].at);
	}
	free(s->trees);
	s->trees = NULL;
	s->tree_slots = s->ntrees = s->tree_bytes = 0;
}

/* The slot of id in the tree cache: where it is, or the free one it would take. */
static struct cached_tree *tree_slot(struct store *s, const struct gid *id)
{
	size_t mask = s->tree_slots - 1, h = (id->b[0] | id->b[1] << 8 | id->b[2] << 16) & mask;

	while (s->trees[h].data && gid_cmp(&s->trees[h].id, id) != 0)
		h = (h + 1) & mask;
	return &s->trees[h];
}

/* Keeps the tree id (data, which the cache takes) as read. */
static void keep_tree(struct store *s, const struct gid *id, char *data, size_t len)
{
	if (s->tree_bytes + len > TREE_BYTES)
		drop_trees(s);
	if ((s->ntrees + 1) * 2 > s->tree_slots) {
		struct cached_tree *old = s->trees;
		size_t n = s->tree_slots;
		s->tree_slots = n ? 2 * n : 64;
		s->trees = xcalloc(s->tree_slots, sizeof *s->trees);
		for (size_t i = 0; i < n; i++)
			if (old[i].data)
				*tree_slot(s, &old[i].id) = old[i];
		free(old);
	}
	*tree_slot(s, id) = (struct cached_tree){*id, data, len, NULL, 0};
	s->ntrees++;
	s->tree_bytes += len;
}

/* The tree id's bytes, from the cache or the repository; the store owns them. */
static int tree_bytes(struct store *s, const struct gid *id, const char **data, size_t *len,
		      struct rerr *e)
{
	struct cached_tree *c = s->tree_slots ? tree_slot(s, id) : NULL;
	enum git_type t;
	char *buf;
	size_t l;
	int rc;

	if (c && c->data) {
		*data = c->data;
		*len = c->len;
		return 0;
	}
	rc = git_read(s->repo, id, &t, &buf, &l, e);
	if (rc != 0 || t != GIT_TREE) {
		char hex[41];
		if (rc == 0)
			free(buf);
		gid_hex(hex, id);
		return rc < 0 ? -1 : rerr_set(e, RX_IO, "%s: tree %s is missing", s->gitdir, hex);
	}
	keep_tree(s, id, buf, l);
	*data = buf;
	*len = l;
	return 0;
}

/* Where each entry of the cached tree c starts, made once; a tree whose entries are
 * out of git's order is damaged (a search by halves would miss what it holds). */
static int tree_offsets(struct store *s, struct cached_tree *c, struct rerr *e)
{
	struct git_entry ent, prev = {0};
	size_t at = 0, start = 0, n = 0;
	int rc;

	if (c->at)
		return 0;
	c->at = xcalloc(c->len / 22 + 1, sizeof *c->at); /* an entry is 22 bytes at least */
	while ((rc = git_tree_next(c->data, c->len, &at, &ent)) == 1) {
		if (n > 0 && git_entry_cmp(&prev, &ent) >= 0)
			break;
		c->at[n++] = start;
		prev = ent;
		start = at;
	}
	if (rc != 0) {
		free(c->at);
		c->at = NULL;
		return rerr_set(e, RX_IO, "%s: a tree is damaged", s->gitdir);
	}
	c->at = xrealloc(c->at, (n + 1) * sizeof *c->at); /* what the cache counts */
	c->nat = n;
	s->tree_bytes += n * sizeof *c->at;
	return 0;
}

/* The entry name (a folder if tree) in the long cached tree c, by halves. */
static int tree_find_halving(struct store *s, struct cached_tree *c, const char *name, size_t nlen,
			     int tree, struct git_entry *out, struct rerr *e)
{
	size_t lo = 0, hi;

	if (tree_offsets(s, c, e) < 0)
		return -1;
	hi = c->nat;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, at = c->at[mid];
		if (git_tree_next(c->data, c->len, &at, out) != 1)
			return rerr_set(e, RX_IO, "%s: a tree is damaged", s->gitdir);
		int o = git_name_cmp(out->name, strlen(out->name), out->is_tree, name, nlen, tree);
		if (o == 0)
			return 0;
		if (o < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;
}

/* The entry name, a folder if tree, in tree id: 0 found, 1 absent (or of the other
 * kind). */
static int tree_find(struct store *s, const struct gid *id, const char *name, size_t nlen,
		     int tree, struct git_entry *out, struct rerr *e)
{
	const char *data;
	size_t len, at = 0;
	int rc;

	if (tree_bytes(s, id, &data, &len, e) < 0)
		return -1;
	if (len > HALVED_BYTES) /* tree_bytes left it in the cache */
		return tree_find_halving(s, tree_slot(s, id), name, nlen, tree, out, e);
	while ((rc = git_tree_next(data, len, &at, out)) == 1)
		if (strncmp(out->name, name, nlen) == 0 && out->name[nlen] == '\0')
			return out->is_tree == tree ? 0 : 1;
	return rc < 0 ? rerr_set(e, RX_IO, "%s: a tree is damaged", s->gitdir) : 1;
}

/* The entry at path (a file or, with want_tree, a folder) in the committed tree. */
static int lookup_path(struct store *s, const char *path, int want_tree, struct git_entry *out,
		       struct rerr *e)
{
	struct gid at = s->root;
	const char *p = path;
	int d = 0;

	if (!s->has_root)
		return 1;
	if (*path == '\0') {
		out->is_tree = 1;
		out->id = at;
		return want_tree ? 0 : 1;
	}
	if (gid_cmp(&s->walked.root, &s->root) != 0)
		s->walked.n = 0;
	for (size_t l; d < s->walked.n; d++) {
		l = s->walked.ends[d];
		if (strncmp(path, s->walked.path, l) != 0 || path[l] != '/')
			break;
		at = s->walked.ids[d];
		p = path + l + 1;
	}
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t nlen = slash ? (size_t)(slash - p) : strlen(p);
		int rc = tree_find(s, &at, p, nlen, slash ? 1 : want_tree, out, e);
		if (rc != 0 || slash == NULL)
			return rc;
		at = out->id;
		p = slash + 1;
		if (d < 16 && (size_t)(slash - path) < sizeof s->walked.path) {
			memcpy(s->walked.path, path, (size_t)(slash - path));
			s->walked.ends[d] = (size_t)(slash - path);
			s->walked.ids[d++] = at;
			s->walked.n = d;
			s->walked.root = s->root;
		}
	}
}

static int read_committed(struct store *s, const char *path, char **buf, size_t *len, struct rerr *e)
{
	struct git_entry ent;
	enum git_type t;
	size_t l;
	int rc = lookup_path(s, path, 0, &ent, e);

	if (rc != 0)
		return rc;
	rc = git_read(s->repo, &ent.id, &t, buf, &l, e);
	if (rc == 1)
		return rerr_set(e, RX_IO, "%s: %s: its blob is missing", s->gitdir, path);
	if (len)
		*len = l;
	return rc;
}

/* ---- the overlay ---- */

static size_t hash_path(const char *p)
{
	size_t h = 1469598103934665603ULL;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static void rehash(struct store *s)
{
	free(s->slots);
	s->nslots = s->nslots ? 2 * s->nslots : 1024;
	s->slots = xcalloc(s->nslots, sizeof *s->slots);
	for (size_t i = 0; i < s->n; i++) {
		size_t h = hash_path(s->ents[i].path) & (s->nslots - 1);
		while (s->slots[h])
			h = (h + 1) & (s->nslots - 1);
		s->slots[h] = i + 1;
	}
}

/* The overlay's entry for path; with create, made (ENT_ABSENT) if missing. */
static struct entry *lookup(struct store *s, const char *path, int create)
{
	size_t h;

	if (create && (s->n + 1) * 2 > s->nslots)
		rehash(s);
	if (s->nslots == 0)
		return NULL;
	for (h = hash_path(path) & (s->nslots - 1); s->slots[h]; h = (h + 1) & (s->nslots - 1))
		if (strcmp(s->ents[s->slots[h] - 1].path, path) == 0)
			return &s->ents[s->slots[h] - 1];
	if (!create)
		return NULL;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->ents = xrealloc(s->ents, s->cap * sizeof *s->ents);
	}
	s->ents[s->n] = (struct entry){.path = xstrdup(path), .state = ENT_ABSENT};
	s->slots[h] = ++s->n;
	return &s->ents[s->n - 1];
}

/* What a file kept as read costs: its bytes, its path and its entry. */
static size_t seen_cost(size_t len, const char *path)
{
	return len + strlen(path) + 64;
}

/* In a unit, the entry's old value moves to the undo log; else it is dropped. */
static void replace(struct store *s, struct entry *en, int state, const char *buf, size_t len)
{
	if (en->state == ENT_SEEN)
		s->seen_bytes -= seen_cost(en->len, en->path);
	if (s->in_txn) {
		if (s->nundo == s->capundo) {
			s->capundo = s->capundo ? 2 * s->capundo : 64;
			s->undo = xrealloc(s->undo, s->capundo * sizeof *s->undo);
		}
		s->undo[s->nundo++] = (struct undo){(size_t)(en - s->ents), en->state, en->data, en->len};
	} else {
		free(en->data);
	}
	en->state = state;
	en->data = NULL;
	en->len = len;
	if (state == ENT_PUT) {
		en->data = xcalloc(1, len + 1);
		if (buf)
			memcpy(en->data, buf, len);
	}
}

void store_put(struct store *s, const char *path, const char *buf, size_t len)
{
	replace(s, lookup(s, path, 1), ENT_PUT, buf, len);
}

void store_put_kv(struct store *s, const char *path, const struct kv *m)
{
	size_t len;
	char *buf = kv_format(m, &len);

	store_put(s, path, buf, len);
	free(buf);
}

void store_del(struct store *s, const char *path)
{
	replace(s, lookup(s, path, 1), ENT_DEL, NULL, 0);
}

static int changed(const struct entry *en)
{
	return en->state == ENT_PUT || en->state == ENT_DEL;
}

int store_pending(struct store *s, const char *path)
{
	struct entry *en = lookup(s, path, 0);

	return en && changed(en);
}

int store_get(struct store *s, const char *path, char **buf, size_t *len, struct rerr *e)
{
	struct entry *en = lookup(s, path, 0);
	char *data = NULL;
	size_t l = 0;
	int rc;

	*buf = NULL;
	if (en == NULL || en->state == ENT_ABSENT) {
		/* Kept as read by a batch (a locked or scratch store, whose main no one else
		 * moves): the rules read a file again before they change it, and a batch's
		 * events share files. A command reads a file once, and keeps nothing. */
		struct rerr mine = {0};
		rc = read_committed(s, path, &data, &l, e ? e : &mine);
		if (rc < 0 && s->in_txn && s->unit_err.code == 0)
			s->unit_err = e ? *e : mine; /* the unit fails, whoever asked */
		if (rc < 0 || (s->lockfd < 0 && !s->scratch) || s->seen_bytes + seen_cost(l, path) > SEEN_BYTES) {
			*buf = data;
			if (len)
				*len = l;
			return rc;
		}
		en = lookup(s, path, 1);
		en->state = ENT_SEEN;
		en->data = data;
		en->len = l;
		s->seen_bytes += seen_cost(en->len, en->path);
	}
	if (en->data == NULL)
		return 1;
	*buf = xcalloc(1, en->len + 1);
	memcpy(*buf, en->data, en->len);
	if (len)
		*len = en->len;
	return 0;
}

int store_get_kv(struct store *s, const char *path, struct kv *m, struct rerr *e)
{
	char *buf, *what;
	size_t len;
	int rc;

	kv_init(m);
	rc = store_get(s, path, &buf, &len, e);
	if (rc != 0)
		return rc;
	what = xasprintf("state/%s", path);
	rc = kv_parse(m, buf, len, what, e);
	free(what);
	free(buf);
	if (rc < 0 && e)
		e->code = RX_IO; /* a state file that does not parse is damage, not bad input */
	return rc;
}

void store_begin(struct store *s)
{
	s->in_txn = 1;
	s->nundo = 0;
	s->unit_err.code = 0;
}

void store_unit_fail(struct store *s, const struct rerr *why)
{
	if (s->in_txn && s->unit_err.code == 0)
		s->unit_err = *why;
}

int store_unit_failed(const struct store *s, struct rerr *e)
{
	if (s->unit_err.code == 0)
		return 0;
	if (e)
		*e = s->unit_err;
	return -1;
}

void store_rollback(struct store *s)
{
	while (s->nundo > 0) {
		struct undo *u = &s->undo[--s->nundo];
		struct entry *en = &s->ents[u->ent];
		free(en->data);
		en->state = u->state;
		en->data = u->data;
		en->len = u->len;
		if (en->state == ENT_SEEN)
			s->seen_bytes += seen_cost(en->len, en->path);
	}
	s->in_txn = 0;
}

void store_end(struct store *s)
{
	for (size_t i = 0; i < s->nundo; i++)
		free(s->undo[i].data);
	s->nundo = 0;
	s->in_txn = 0;
}

size_t store_changes(const struct store *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		k += changed(&s->ents[i]);
	return k;
}

void store_discard(struct store *s)
{
	store_end(s);
	for (size_t i = 0; i < s->n; i++) {
		free(s->ents[i].path);
		free(s->ents[i].data);
	}
	s->n = 0;
	s->seen_bytes = 0;
	if (s->slots)
		memset(s->slots, 0, s->nslots * sizeof *s->slots);
}

/* ---- opening ---- */

static int load_head(struct store *s, struct rerr *e)
{
	struct git_commit_info c;
	struct rerr why = {0};
	char *buf;
	size_t len;
	int rc;

	store_discard(s); /* what was read, or changed, is of the commit main named before */
	s->has_head = s->has_root = 0;
	if (s->scratch && !s->fixed)
		return 0;
	/* A store opened on a commit keeps it in s->head; the others read main. */
	if (!s->fixed && (rc = git_ref_read(s->gitdir, REF_MAIN, &s->head, e)) != 0)
		return rc < 0 ? -1 : 0;
	s->has_head = 1;
	if (git_read_commit(s->repo, &s->head, &buf, &len, &c, &why) < 0)
		return rerr_set(e, why.code, "%s: main's %s", s->gitdir, why.msg);
	free(buf);
	s->root = c.tree;
	s->has_root = 1;
	return 0;
}

static struct store *store_new(const char *state)
{
	struct store *s = xcalloc(1, sizeof *s);

	s->state = xstrdup(state);
	s->gitdir = xasprintf("%s/.git", state);
	s->packdir = xasprintf("%s/objects/pack", s->gitdir);
	s->lockpath = xasprintf("%s/rental.lock", s->gitdir);
	s->lockfd = -1;
	return s;
}

int store_init_repo(const char *state, struct rerr *e)
{
	char *gitdir = xasprintf("%s/.git", state), *head = xasprintf("%s/HEAD", gitdir);
	/* HEAD is written last: without it, a making stopped part way, finished now */
	int rc = fs_exists(head) ? 0 : git_init(gitdir, e);

	free(head);
	free(gitdir);
	return rc;
}

/* Opens s's repository; with scratch, its packs go to a folder of their own, made
 * empty, which store_free removes. */
static int open_repo(struct store *s, int scratch, struct rerr *e)
{
	if (!scratch)
		return gitrepo_open(&s->repo, s->gitdir, e);
	s->scratch = 1;
	free(s->packdir);
	s->packdir = xasprintf("%s/" SCRATCH, s->gitdir);
	fs_remove_tree(s->packdir);
	if (fs_mkdirs(s->packdir, e) < 0 || gitrepo_open(&s->repo, s->gitdir, e) < 0)
		return -1;
	return gitrepo_use_packdir(s->repo, s->packdir, e);
}

int store_open(struct store **out, const char *state, struct rerr *e)
{
	struct store *s = store_new(state);

	*out = s;
	if (!fs_exists(s->gitdir))
		return rerr_set(e, RX_CONFIG, "%s: no state repository", state);
	if (open_repo(s, 0, e) < 0)
		return -1;
	return load_head(s, e);
}

int store_open_scratch(struct store **out, struct store *like, struct rerr *e)
{
	*out = store_new(like->state);
	return open_repo(*out, 1, e);
}

int store_open_commit(struct store **out, const char *state, const char *hex, int scratch,
		      struct rerr *e)
{
	struct store *s = store_new(state);
	int rc;

	*out = s;
	s->fixed = 1;
	if (gid_parse(&s->head, hex) < 0)
		return rerr_set(e, RX_SOFTWARE, "%.40s: not a commit id", hex);
	if (open_repo(s, scratch, e) < 0)
		return -1;
	rc = load_head(s, e);
	if (scratch)
		s->has_head = 0; /* it commits no commit */
	return rc;
}

void store_set_signer(struct store *s, const struct seckey *k)
{
	s->signer = k;
}

void store_oom_after_commit(struct store *s, const char *done)
{
	s->oom_done = done;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	store_discard(s);
	if (s->scratch)
		fs_remove_tree(s->packdir);
	drop_trees(s);
	gitrepo_free(s->repo);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->ents);
	free(s->slots);
	free(s->undo);
	free(s->state);
	free(s->gitdir);
	free(s->packdir);
	free(s->lockpath);
	free(s);
}

int store_drop_checkout(struct store *s, const char *const *checked_out, struct rerr *e)
{
	const char *old[] = {"rental-worktree", "rental-tmp"};

	/* the commit, not those files, is the state */
	for (const char *const *n = checked_out; *n; n++) {
		char *p = xasprintf("%s/%s", s->state, *n);
		fs_remove_tree(p);
		free(p);
	}
	for (size_t i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", s->gitdir, old[i]);
		fs_remove_tree(p);
		free(p);
	}
	return git_make_bare(s->gitdir, e);
}

/* Whether main names commit c, as far as a batch that died can tell: 0 when c was made
 * on main as it is (its parent is main, or it has none and there is no main), so that
 * main does not name it; else 1 (main is c, or moved elsewhere: kept); -1 when c
 * cannot be read. */
static int named_by_main(const struct gid *c, void *arg)
{
	struct store *s = arg;
	struct git_commit_info ci;
	struct rerr e = {0};
	char *buf;
	size_t len;

	if (s->has_head && gid_cmp(&s->head, c) == 0)
		return 1;
	if (git_read_commit(s->repo, c, &buf, &len, &ci, &e) < 0)
		return -1;
	free(buf);
	return s->has_head ? !(ci.nparents == 1 && gid_cmp(&ci.parent, &s->head) == 0) : ci.nparents != 0;
}

/* Whether the lock file is still the one s holds: one removed or replaced (by hand)
 * is another that a second dispatcher could lock, and both would write. */
static int lock_is_ours(const struct store *s)
{
	struct stat a, b;

	return s->lockfd >= 0 && fstat(s->lockfd, &a) == 0 && stat(s->lockpath, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int store_lock(struct store *s, int wait, struct rerr *e)
{
	char *scratch;
	int rc = 0;

	for (;;) {
		if (s->lockfd < 0)
			s->lockfd = open(s->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->lockfd < 0)
			rc = rerr_set(e, RX_IO, "%s: %s", s->lockpath, strerror(errno));
		else if (flock(s->lockfd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
			rc = rerr_set(e, errno == EWOULDBLOCK ? RX_TEMP : RX_IO, "%s: %s", s->state,
				      errno == EWOULDBLOCK ? "home busy: another dispatcher is running"
							    : strerror(errno));
		if (rc < 0 || lock_is_ours(s))
			break;
		close(s->lockfd); /* locked, but removed or replaced since: lock the new one */
		s->lockfd = -1;
	}
	if (rc < 0)
		return -1;
	/* What a dead run left is garbage: temp files, a half-written pack, a scratch. */
	gitrepo_sweep(s->packdir);
	char *reflock = xasprintf("%s/" REF_MAIN ".lock", s->gitdir);
	unlink(reflock); /* a ref's new value a dead run did not rename in */
	free(reflock);
	scratch = xasprintf("%s/" SCRATCH, s->gitdir);
	fs_remove_tree(scratch);
	free(scratch);
	if (gitrepo_refresh(s->repo, e) < 0 || load_head(s, e) < 0)
		return -1;
	return gitrepo_sweep_pending(s->repo, named_by_main, s, e);
}

/* ---- committing ---- */

/* Paths in tree order: by component, so that a name, then everything under it as a
 * folder, come together ('/' sorts below every other byte). */
static int by_path(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)(*(struct entry *const *)a)->path;
	const unsigned char *y = (const unsigned char *)(*(struct entry *const *)b)->path;

	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '/' ? 1 : *x) - (*y == '/' ? 1 : *y);
}

/* The index in ents[0..n), in git's order, of the entry named name (nl bytes), a file
 * or a folder; n if there is none. */
static size_t base_entry(const struct git_entry *ents, size_t n, const char *name, size_t nl)
{
	for (int tree = 0; tree < 2; tree++) {
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int o = git_name_cmp(ents[mid].name, strlen(ents[mid].name), ents[mid].is_tree,
					     name, nl, tree);
			if (o == 0)
				return mid;
			if (o < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return n;
}

/* The tree that base (NULL: none) becomes with changes ch[0..n), all under the folder
 * whose path takes the first skip bytes of theirs; its objects go into pk. *empty
 * when nothing is left in it. */
static int build_tree(struct store *s, const struct gid *base, struct entry **ch, size_t n,
		      size_t skip, struct gitpack_new *pk, struct gid *out, int *empty, struct rerr *e)
{
	struct git_entry *ents = NULL;
	size_t nents = 0, cap = 0, at = 0;
	char *copy = NULL, *bytes;
	size_t len = 0;
	int rc = 0;

	if (base) {
		const char *data;
		if (tree_bytes(s, base, &data, &len, e) < 0)
			return -1;
		copy = xcalloc(1, len + 1); /* the cache may drop it while we recurse */
		memcpy(copy, data, len);
	}
	struct git_entry ent;
	while (copy && (rc = git_tree_next(copy, len, &at, &ent)) == 1) {
		if (nents > 0 && git_entry_cmp(&ents[nents - 1], &ent) >= 0) {
			rc = -1; /* out of git's order: a search by halves would miss a name */
			break;
		}
		if (nents == cap)
			ents = xrealloc(ents, (cap = cap ? 2 * cap : 32) * sizeof *ents);
		ents[nents++] = ent;
	}
	if (rc < 0)
		rc = rerr_set(e, RX_IO, "%s: a tree is damaged", s->gitdir);
	/* ents[0..nbase) is base's, in order, searched by halves (dropped[k]: replaced or
	 * deleted); what is made here is added after it. */
	size_t nbase = nents;
	unsigned char *dropped = xcalloc(nbase + 1, 1);
	char **names = xcalloc(n + 1, sizeof *names); /* names of entries made here */
	size_t nnames = 0;
	for (size_t i = 0; rc == 0 && i < n;) {
		/* The changes to one name: the name itself (a file), then paths under it. */
		const char *rest = ch[i]->path + skip;
		size_t nl = strcspn(rest, "/"), j = i, k = 0;
		while (j < n && strncmp(ch[j]->path + skip, rest, nl) == 0 &&
		       (ch[j]->path[skip + nl] == '\0' || ch[j]->path[skip + nl] == '/'))
			j++;
		struct entry *file = rest[nl] == '\0' ? ch[i] : NULL;
		size_t under = file ? i + 1 : i;
		k = base_entry(ents, nbase, rest, nl);
		struct git_entry made = {0};
		int gone = 1;
		if (file && file->state == ENT_PUT) {
			/* A file replaces a folder of that name, whatever changed under it. */
			gitpack_add(pk, GIT_BLOB, file->data, file->len, &made.id);
			gone = 0;
		} else if (under < j) {
			const struct gid *sub = !file && k < nbase && ents[k].is_tree ? &ents[k].id : NULL;
			rc = build_tree(s, sub, ch + under, j - under, skip + nl + 1, pk, &made.id, &gone, e);
			made.is_tree = 1;
		}
		if (k < nbase)
			dropped[k] = 1;
		if (rc == 0 && !gone) {
			if (nents == cap)
				ents = xrealloc(ents, (cap = cap ? 2 * cap : 32) * sizeof *ents);
			made.name = names[nnames++] = xstrndup(rest, nl);
			ents[nents++] = made;
		}
		i = j;
	}
	if (rc == 0) {
		size_t kept = 0;
		for (size_t i = 0; i < nents; i++)
			if (i >= nbase || !dropped[i])
				ents[kept++] = ents[i];
		nents = kept;
		*empty = nents == 0;
		git_tree_format(ents, nents, &bytes, &len);
		if (!*empty || skip == 0) /* a folder left empty is dropped by its parent */
			gitpack_add(pk, GIT_TREE, bytes, len, out);
		free(bytes);
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(dropped);
	free(ents);
	free(copy);
	return rc;
}

static void commit_bytes(struct store *s, const struct gid *tree, const char *msg, char **out,
			 size_t *len)
{
	char th[41], ph[41], parent[50] = "";
	long long now = (long long)time(NULL);

	gid_hex(th, tree);
	if (s->has_head) {
		gid_hex(ph, &s->head);
		snprintf(parent, sizeof parent, "parent %s\n", ph);
	}
	if (msg == NULL || *msg == '\0')
		msg = "batch\n";
	*out = xasprintf("tree %s\n%sauthor dispatcher <" GITSIG_PRINCIPAL "> %lld +0000\n"
			 "committer dispatcher <" GITSIG_PRINCIPAL "> %lld +0000\n\n%s%s",
			 th, parent, now, now, msg, msg[strlen(msg) - 1] == '\n' ? "" : "\n");
	*len = strlen(*out);
	if (s->signer) {
		char *plain = *out;
		*out = gitsig_sign_commit(s->signer, plain, *len, len);
		free(plain);
	}
}

int store_commit(struct store *s, const char *msg, struct rerr *e)
{
	struct gitpack_new pk = {0};
	struct entry **ch = xcalloc(s->n + 1, sizeof *ch);
	struct gid tree, commit;
	size_t n = 0;
	int empty, rc;

	for (size_t i = 0; i < s->n; i++)
		if (changed(&s->ents[i]))
			ch[n++] = &s->ents[i];
	if (n == 0 && (s->has_head || s->scratch)) {
		free(ch);
		return 0; /* nothing changed: no commit */
	}
	qsort(ch, n, sizeof *ch, by_path);
	rc = build_tree(s, s->has_root ? &s->root : NULL, ch, n, 0, &pk, &tree, &empty, e);
	free(ch);
	if (rc == 0 && !s->scratch) {
		char *c;
		size_t len;
		commit_bytes(s, &tree, msg, &c, &len);
		gitpack_add(&pk, GIT_COMMIT, c, len, &commit);
		free(c);
	}
	if (rc == 0)
		rc = gitpack_write(&pk, s->packdir, s->scratch ? NULL : &commit, e);
	gitpack_new_free(&pk);
	if (rc == 0)
		rc = gitrepo_refresh(s->repo, e);
	crash_point("objects");
	/* The commit point: before it the batch is garbage to sweep, after it the state;
	 * not passed by a dispatcher whose lock file was replaced since it locked it. */
	if (rc == 0 && !s->scratch && s->lockfd >= 0 && !lock_is_ours(s))
		rc = rerr_set(e, RX_TEMP, "%s: removed or replaced while this dispatcher "
			      "held it (another may have worked here since): the batch is not committed",
			      s->lockpath);
	/* Only over the commit it was made on: one made by hand meanwhile is not dropped. */
	if (rc == 0 && !s->scratch &&
	    (rc = git_ref_swap(s->gitdir, REF_MAIN, s->has_head ? &s->head : NULL, &commit, 10, "ref", e)) > 0)
		rc = rerr_set(e, RX_TEMP, "%s: main moved while the batch ran (by hand?)%s: the batch is not "
			      "committed", s->gitdir, rc == 2 ? ", or is being moved" : "");
	if (rc < 0)
		return -1;
	if (!s->scratch && s->oom_done) /* main has moved: the next allocation may fail */
		out_of_memory_after(s->oom_done);
	crash_point("commit");
	if (!s->scratch) {
		s->head = commit;
		s->has_head = 1;
		/* In main now: a ref set back by hand later (with its old time) must not make
		 * the sweep take it for a dead batch's and remove it. */
		gitpack_clear_pending(s->packdir, NULL);
	}
	s->root = tree;
	s->has_root = 1;
	store_discard(s);
	return 0;
}

int store_keep_lock(struct store *s, struct rerr *e)
{
	return lock_is_ours(s) ? 0 : store_lock(s, 1, e);
}

int store_maintain(struct store *s, struct rerr *e)
{
	/* The packs of the folder as it is: a replica's fetches add theirs behind its back. */
	return gitrepo_refresh(s->repo, e) < 0 ? -1 : gitrepo_merge(s->repo, 0, e);
}

int store_unindexed_pack(const char *state, char name[51])
{
	struct store *s = store_new(state); /* not opened: main's commit may be in that pack */
	int found = gitrepo_unindexed(s->packdir, name);

	store_free(s);
	return found;
}

size_t store_pack_count(const struct store *s)
{
	return gitrepo_pack_count(s->repo);
}

int store_commit_exists(struct store *s, const char *hex)
{
	struct gid id;
	struct git_commit_info ci;
	struct rerr e = {0};
	char *buf;
	size_t len;

	if (gid_parse(&id, hex) < 0 || git_read_commit(s->repo, &id, &buf, &len, &ci, &e) < 0)
		return 0;
	free(buf);
	return 1;
}

int store_main_missing(const struct store *s, int code, struct rerr *e)
{
	/* A first batch's packs, in place before main is (running, or killed): no history */
	if (s->has_head || gitrepo_settled_count(s->repo) == 0)
		return 0;
	return rerr_set(e, code, "state: main names no commit, yet the repository holds a history "
			"(main deleted by hand?): set it back to the history's last commit (git "
			"update-ref refs/heads/main COMMIT; 'git fsck --no-reflogs' names the commits "
			"no ref reaches, 'dangling commit')");
}

int store_check_packs(const struct store *s, struct rerr *e)
{
	return gitrepo_check_packs(s->repo, e);
}

int store_has_commit(const struct store *s)
{
	return s->has_head;
}

void store_head(const struct store *s, char out[41])
{
	if (s->has_head)
		gid_hex(out, &s->head);
	else
		out[0] = '\0';
}

/* ---- whose commits ---- */

int store_signed_base(struct store *s, const unsigned char *pk, char base[41], struct rerr *e)
{
	struct git_commit_info c;
	struct gid at = s->head;
	int rc;

	base[0] = '\0';
	for (int passed = 0; s->has_head; passed++, at = c.parent) {
		if ((rc = gitsig_commit_by(s->repo, &at, pk, &c, e)) < 0)
			return -1;
		if (rc == 0) {
			gid_hex(base, &at);
			return passed > 0;
		}
		if (c.nparents == 0)
			return 2;
	}
	return 0;
}

int store_follow_main(struct store *s, struct rerr *e)
{
	struct gid now;
	int rc = git_ref_read(s->gitdir, REF_MAIN, &now, e);

	if (rc < 0)
		return -1;
	int same = rc == 1 ? !s->has_head : s->has_head && gid_cmp(&now, &s->head) == 0;
	if (same || s->fixed || s->scratch)
		return 0;
	return load_head(s, e);
}

int store_set_main(struct store *s, const char *hex, struct rerr *e)
{
	struct gid id;

	if (gid_parse(&id, hex) < 0)
		return rerr_set(e, RX_SOFTWARE, "%.40s: not a commit id", hex);
	return git_ref_write(s->gitdir, REF_MAIN, &id, e) < 0 ? -1 : load_head(s, e);
}

/* ---- walking and comparing trees ---- */

/* Calls fn for each file under tree id (whose path is prefix). */
static int walk_tree(struct store *s, const struct gid *id, char *prefix, size_t plen,
		     store_walk_fn fn, void *arg, struct rerr *e)
{
	const char *data;
	char *copy;
	size_t len, at = 0;
	struct git_entry ent;
	int rc = 0, done = 0; /* rc: the tree's next entry; done: what fn or a folder said */

	if (tree_bytes(s, id, &data, &len, e) < 0)
		return -1;
	copy = xcalloc(1, len + 1);
	memcpy(copy, data, len);
	while (done >= 0 && (rc = git_tree_next(copy, len, &at, &ent)) == 1) {
		size_t nl = strlen(ent.name);
		if (plen + nl + 2 > 1024)
			continue;
		memcpy(prefix + plen, ent.name, nl + 1);
		if (ent.is_tree) {
			prefix[plen + nl] = '/';
			prefix[plen + nl + 1] = '\0';
			done = walk_tree(s, &ent.id, prefix, plen + nl + 1, fn, arg, e);
		} else {
			done = fn(prefix, prefix + plen, arg, e);
		}
		prefix[plen] = '\0';
	}
	free(copy);
	if (done < 0)
		return -1;
	return rc < 0 ? rerr_set(e, RX_IO, "%s: a tree is damaged", s->gitdir) : 0;
}

int store_walk(struct store *s, const char *dir, store_walk_fn fn, void *arg, struct rerr *e)
{
	char prefix[1024];
	struct git_entry ent;
	int rc = lookup_path(s, dir, 1, &ent, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	snprintf(prefix, sizeof prefix, "%s%s", dir, *dir ? "/" : "");
	return walk_tree(s, &ent.id, prefix, strlen(prefix), fn, arg, e);
}

struct records {
	struct store *s;
	struct kv *v;
	size_t n;
};

static int add_record(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct records *r = arg;
	struct kv m;
	char *buf;
	size_t len;
	int rc = store_get(r->s, path, &buf, &len, e);

	/* An object that cannot be read fails the list (rules must not decide on part of
	 * it); a file that does not parse is left out, and does not hide the others. */
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = kv_parse(&m, buf, len, path, NULL);
	free(buf);
	if (rc == 0) {
		r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
		r->v[r->n++] = m;
	}
	return 0;
}

int store_read_records(struct store *s, const char *dir, struct kv **recs, size_t *n,
		       struct rerr *e)
{
	struct records r = {s, NULL, 0};
	int rc = store_walk(s, dir, add_record, &r, e);

	*recs = r.v;
	*n = r.n;
	return rc;
}

void store_records_free(struct kv *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kv_free(&recs[i]);
	free(recs);
}

/* One side of a comparison: a tree's entries (none for NULL), in git's order. */
struct side {
	char *copy;
	size_t len;
	struct git_entry *v;
	size_t n;
};

static int side_load(struct store *s, const struct gid *id, struct side *d, struct rerr *e)
{
	const char *data;
	size_t at = 0;
	struct git_entry ent;
	int rc;

	memset(d, 0, sizeof *d);
	if (id == NULL)
		return 0;
	if (tree_bytes(s, id, &data, &d->len, e) < 0)
		return -1;
	d->copy = xcalloc(1, d->len + 1);
	memcpy(d->copy, data, d->len);
	while ((rc = git_tree_next(d->copy, d->len, &at, &ent)) == 1) {
		d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
		d->v[d->n++] = ent;
	}
	return rc < 0 ? rerr_set(e, RX_IO, "%s: a tree is damaged", s->gitdir) : 0;
}

static void side_free(struct side *d)
{
	free(d->copy);
	free(d->v);
}

struct diff {
	struct store *a, *b;
	const char *skip;
	store_walk_fn fn;
	void *arg;
	char path[1024];
};

static int report_file(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct diff *d = arg;
	return d->fn(path, name, d->arg, e);
}

static int diff_trees(struct diff *d, const struct gid *ta, const struct gid *tb, size_t plen,
		      struct rerr *e);

/* The paths under one name (in d->path, plen bytes in) that differ: x and y are its
 * entries in a and b, of one kind, or one of them NULL where the other side has none. */
static int diff_entry(struct diff *d, const struct git_entry *x, const struct git_entry *y,
		      size_t plen, struct rerr *e)
{
	const struct git_entry *any = x ? x : y;
	size_t nl = strlen(any->name);
	int rc;

	if ((x && y && gid_cmp(&x->id, &y->id) == 0) || plen + nl + 2 > sizeof d->path ||
	    (plen == 0 && d->skip && strcmp(any->name, d->skip) == 0))
		return 0;
	memcpy(d->path + plen, any->name, nl + 1);
	if (any->is_tree)
		strcpy(d->path + plen + nl, "/");
	if (x && y && any->is_tree)
		rc = diff_trees(d, &x->id, &y->id, plen + nl + 1, e);
	else if (any->is_tree) /* a folder on one side only: every file in it */
		rc = walk_tree(x ? d->a : d->b, &any->id, d->path, plen + nl + 1, report_file, d, e);
	else
		rc = d->fn(d->path, d->path + plen, d->arg, e);
	d->path[plen] = '\0';
	return rc;
}

/* Both trees' entries side by side in git's order, in which a file sorts apart from
 * a folder of its name: each name is compared with its own kind. */
static int diff_trees(struct diff *d, const struct gid *ta, const struct gid *tb, size_t plen,
		      struct rerr *e)
{
	struct side a, b;
	int rc = side_load(d->a, ta, &a, e);

	if (rc == 0)
		rc = side_load(d->b, tb, &b, e);
	else
		memset(&b, 0, sizeof b);
	for (size_t i = 0, j = 0; rc == 0 && (i < a.n || j < b.n);) {
		int c = i == a.n ? 1 : j == b.n ? -1 : git_entry_cmp(&a.v[i], &b.v[j]);
		rc = diff_entry(d, c <= 0 ? &a.v[i] : NULL, c >= 0 ? &b.v[j] : NULL, plen, e);
		i += c <= 0;
		j += c >= 0;
	}
	side_free(&a);
	side_free(&b);
	return rc;
}

int store_diff(struct store *a, struct store *b, const char *skip, store_walk_fn fn, void *arg,
	       struct rerr *e)
{
	struct diff d = {a, b, skip, fn, arg, ""};

	return diff_trees(&d, a->has_root ? &a->root : NULL, b->has_root ? &b->root : NULL, 0, e);
}

/* ---- mending damaged objects ---- */

#define MEND_BYTES (32 << 20) /* good copies held before they are written as a pack */

struct mend {
	struct store *a, *b;
	const char *skip;
	struct gitpack_new pack;
	size_t bytes; /* in pack */
	size_t mended;
	store_walk_fn fn;
	void *arg;
	char path[1024];
};

/* Writes the good copies gathered so far as one pack of a's, which a then reads. */
static int mend_flush(struct mend *m, struct rerr *e)
{
	int rc = m->pack.n == 0 ? 0 : gitpack_write(&m->pack, m->a->packdir, NULL, e);

	gitpack_new_free(&m->pack);
	m->bytes = 0;
	return rc < 0 ? -1 : gitrepo_refresh(m->a->repo, e);
}

/* Object id of a's tree, at m->path: read from a, or, where it is damaged or missing
 * there, from b, and that good copy put in the pack (and fn told). 0 and *data
 * (malloc'd), or -1. */
static int mend_read(struct mend *m, const struct gid *id, char **data, size_t *len, struct rerr *e)
{
	enum git_type t;
	struct gid made;
	struct rerr bad = {0};
	char hex[41];
	int rc = git_read(m->a->repo, id, &t, data, len, &bad);

	if (rc == 0)
		return 0;
	gid_hex(hex, id);
	if (git_read(m->b->repo, id, &t, data, len, e) != 0)
		return rc < 0 ? rerr_set(e, bad.code, "%s", bad.msg)
			: rerr_set(e, RX_IO, "%s: %s: object %s is missing", m->a->gitdir, m->path, hex);
	gitpack_add(&m->pack, t, *data, *len, &made);
	m->bytes += *len;
	m->mended++;
	if ((m->bytes > MEND_BYTES && mend_flush(m, e) < 0) || m->fn(m->path, hex, m->arg, e) < 0) {
		free(*data);
		return -1;
	}
	return 0;
}

static int mend_tree(struct mend *m, const struct gid *id, size_t plen, struct rerr *e)
{
	char *data, *blob;
	size_t len, blen, at = 0;
	struct git_entry ent;
	int rc, next = 0;

	if (mend_read(m, id, &data, &len, e) < 0)
		return -1;
	for (rc = 0; rc == 0 && (next = git_tree_next(data, len, &at, &ent)) == 1;) {
		size_t nl = strlen(ent.name);
		if (plen + nl + 2 > sizeof m->path || (plen == 0 && m->skip && strcmp(ent.name, m->skip) == 0))
			continue;
		memcpy(m->path + plen, ent.name, nl + 1);
		if (ent.is_tree) {
			strcpy(m->path + plen + nl, "/");
			rc = mend_tree(m, &ent.id, plen + nl + 1, e);
		} else if ((rc = mend_read(m, &ent.id, &blob, &blen, e)) == 0) {
			free(blob);
		}
		m->path[plen] = '\0';
	}
	free(data);
	return rc < 0 ? -1 : next < 0 ? rerr_set(e, RX_IO, "%s: a tree is damaged", m->a->gitdir) : 0;
}

int store_mend(struct store *a, struct store *b, const char *skip, store_walk_fn fn, void *arg,
	       struct rerr *e)
{
	struct mend m = {a, b, skip, {0}, 0, 0, fn, arg, ""};
	int rc = a->has_root ? mend_tree(&m, &a->root, 0, e) : 0;

	if (rc < 0) {
		gitpack_new_free(&m.pack);
		return rc;
	}
	/* Then every pack merged into one, which holds the good copies alone: git, which
	 * serves pushes and fetches, reads the first copy it finds. */
	return mend_flush(&m, e) < 0 ? -1 : m.mended ? gitrepo_merge(a->repo, 1, e) : 0;
}
