/* store: changes gather in memory (the overlay), then go to the files, through a
 * version control step (store_git.c) when the store has one. Readers and the
 * commands use it without git, so they do not load libgit2. */
#include "store_impl.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static size_t hash_path(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void rehash(struct store *s)
{
	free(s->slots);
	s->nslots = s->nslots ? s->nslots * 2 : 1024;
	s->slots = xcalloc(s->nslots, sizeof *s->slots);
	for (size_t i = 0; i < s->n; i++) {
		size_t h = hash_path(s->ents[i].path) & (s->nslots - 1);
		while (s->slots[h])
			h = (h + 1) & (s->nslots - 1);
		s->slots[h] = i + 1;
	}
}

/* ---- the read cache: a file read twice in a batch (a signer's key, a car's rate) is
 * read from disk once. The files change only by the batch's own commit and by
 * recovery, and both forget it; it stops growing at CACHE_MAX files, so a rebuild that
 * reads every file does not hold them all. ---- */
#define CACHE_SLOTS 16384
#define CACHE_MAX (CACHE_SLOTS / 2)
_Static_assert(CACHE_SLOTS <= 65536, "cache_used holds slots as uint16_t");

struct cached {
	char *path, *data;
	size_t len;
};

static struct cached *cache_slot(struct store *s, const char *path)
{
	size_t h = hash_path(path) & (CACHE_SLOTS - 1);

	while (s->cache[h].path && strcmp(s->cache[h].path, path) != 0)
		h = (h + 1) & (CACHE_SLOTS - 1);
	return &s->cache[h];
}

/* A copy of path's bytes if they are cached: 0, else 1. */
static int cache_get(struct store *s, const char *path, char **buf, size_t *len)
{
	int rc = 1;

	pthread_mutex_lock(&s->cache_mu);
	if (s->cache) {
		struct cached *c = cache_slot(s, path);
		if (c->path) {
			*buf = xcalloc(1, c->len + 1);
			memcpy(*buf, c->data, c->len);
			if (len)
				*len = c->len;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&s->cache_mu);
	return rc;
}

static void cache_put(struct store *s, const char *path, const char *buf, size_t len)
{
	pthread_mutex_lock(&s->cache_mu);
	if (s->cache == NULL) {
		s->cache = xcalloc(CACHE_SLOTS, sizeof *s->cache);
		s->cache_used = xcalloc(CACHE_MAX, sizeof *s->cache_used);
	}
	struct cached *c = cache_slot(s, path);
	if (c->path == NULL && s->ncached < CACHE_MAX) {
		c->path = xstrdup(path);
		c->data = xcalloc(1, len + 1);
		memcpy(c->data, buf, len);
		c->len = len;
		s->cache_used[s->ncached++] = (uint16_t)(c - s->cache);
	}
	pthread_mutex_unlock(&s->cache_mu);
}

static void cache_forget(struct store *s)
{
	pthread_mutex_lock(&s->cache_mu);
	/* Only the slots used: walking all of them would touch the table's every page,
	 * a hundred page faults in a command that read four files. */
	for (size_t i = 0; i < s->ncached; i++) {
		free(s->cache[s->cache_used[i]].path);
		free(s->cache[s->cache_used[i]].data);
	}
	free(s->cache);
	free(s->cache_used);
	s->cache = NULL;
	s->cache_used = NULL;
	s->ncached = 0;
	pthread_mutex_unlock(&s->cache_mu);
}

/* The entry of path, created ENT_ABSENT if create and missing; NULL otherwise. */
static struct entry *lookup(struct store *s, const char *path, int create)
{
	size_t h;

	if (s->nslots == 0 || (s->n + 1) * 2 > s->nslots) {
		if (!create && s->nslots == 0)
			return NULL;
		if (create)
			rehash(s);
	}
	h = hash_path(path) & (s->nslots - 1);
	while (s->slots[h]) {
		struct entry *en = &s->ents[s->slots[h] - 1];
		if (strcmp(en->path, path) == 0)
			return en;
		h = (h + 1) & (s->nslots - 1);
	}
	if (!create)
		return NULL;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->ents = xrealloc(s->ents, s->cap * sizeof *s->ents);
	}
	s->ents[s->n] = (struct entry){.path = xstrdup(path), .state = ENT_ABSENT};
	s->slots[h] = ++s->n;
	return &s->ents[s->n - 1];
}

static void remember(struct store *s, struct entry *en)
{
	if (!s->in_txn)
		return;
	if (s->nundo == s->capundo) {
		s->capundo = s->capundo ? s->capundo * 2 : 64;
		s->undo = xrealloc(s->undo, s->capundo * sizeof *s->undo);
	}
	/* The old data moves into the undo record; the entry gets fresh data. */
	s->undo[s->nundo++] = (struct undo){(size_t)(en - s->ents), en->state, en->data, en->len};
	en->data = NULL;
}

void store_put(struct store *s, const char *path, const char *buf, size_t len)
{
	struct entry *en = lookup(s, path, 1);

	if (s->in_txn)
		remember(s, en);
	else
		free(en->data);
	en->data = xcalloc(1, len + 1);
	memcpy(en->data, buf, len);
	en->len = len;
	en->state = ENT_PUT;
	en->dirty = 1;
	free(en->same_as);
	en->same_as = NULL;
	free(en->twin);
	en->twin = NULL;
}

void store_put_same_as(struct store *s, const char *path, const char *buf, size_t len,
		       const char *same_as)
{
	store_put(s, path, buf, len);
	/* Only outside a unit: a rollback restores the data, not this hint. */
	if (!s->in_txn)
		lookup(s, path, 0)->same_as = xstrdup(same_as);
}

void store_put_twin(struct store *s, const char *path, const char *buf, size_t len,
		    const char *twin)
{
	store_put(s, path, buf, len);
	/* Safe in a unit too: the commit links it only if twin's bytes are still these. */
	lookup(s, path, 0)->twin = xstrdup(twin);
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
	struct entry *en = lookup(s, path, 1);

	if (s->in_txn)
		remember(s, en);
	else
		free(en->data);
	en->data = NULL;
	en->len = 0;
	en->state = ENT_DEL;
	en->dirty = 1;
	free(en->same_as);
	en->same_as = NULL;
	free(en->twin);
	en->twin = NULL;
}

void store_begin(struct store *s)
{
	store_end(s);
	s->in_txn = 1;
}

void store_end(struct store *s)
{
	for (size_t i = 0; i < s->nundo; i++)
		free(s->undo[i].data);
	s->nundo = 0;
	s->in_txn = 0;
}

void store_rollback(struct store *s)
{
	while (s->nundo > 0) {
		struct undo *u = &s->undo[--s->nundo];
		struct entry *en = &s->ents[u->ent];
		free(en->data);
		en->data = u->data;
		en->len = u->len;
		en->state = u->state;
	}
	s->in_txn = 0;
}

size_t store_changes(const struct store *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->ents[i].state != ENT_ABSENT;
	return n;
}

const char *store_root(const struct store *s)
{
	return s->root;
}

int store_get(struct store *s, const char *path, char **buf, size_t *len, struct rerr *e)
{
	struct entry *en = lookup(s, path, 0);
	char *full;
	int rc;

	*buf = NULL;
	if (en && en->state == ENT_DEL)
		return 1;
	if (en && en->state == ENT_PUT) {
		*buf = xcalloc(1, en->len + 1);
		memcpy(*buf, en->data, en->len);
		if (len)
			*len = en->len;
		return 0;
	}
	if (cache_get(s, path, buf, len) == 0)
		return 0;
	size_t n = 0;
	full = xasprintf("%s/%s", s->root, path);
	rc = fs_read(full, 1 << 24, buf, &n, e);
	free(full);
	if (rc == 0) {
		cache_put(s, path, *buf, n);
		if (len)
			*len = n;
	}
	return rc;
}

int store_get_kv(struct store *s, const char *path, struct kv *m, struct rerr *e)
{
	char *buf;
	size_t len;
	int rc = store_get(s, path, &buf, &len, e);

	kv_init(m);
	if (rc != 0)
		return rc;
	char *what = xasprintf("state/%s", path);
	rc = kv_parse(m, buf, len, what, e);
	if (rc < 0)
		e->code = RX_IO; /* a corrupt state file is a fault, not bad user input */
	free(what);
	free(buf);
	return rc;
}

struct store *store_new(const char *root)
{
	struct store *s = xcalloc(1, sizeof *s);

	s->root = xstrdup(root);
	s->lockfd = -1;
	s->layout = 1;
	s->empty_fd = -1;
	pthread_mutex_init(&s->empty_mu, NULL);
	pthread_mutex_init(&s->cache_mu, NULL);
	return s;
}

int store_open(struct store **out, const char *root, struct rerr *e)
{
	*out = store_new(root);
	return store_load_layout(*out, e);
}

int store_load_layout(struct store *s, struct rerr *e)
{
	struct kv m;
	int rc = store_get_kv(s, "layout", &m, e);
	long long v;

	if (rc < 0)
		return -1;
	v = rc == 1 ? 1 : kv_num(&m, "version", 0);
	kv_free(&m);
	/* An older release must not write a home whose paths it would form the old way. */
	if (v < 1 || v > STORE_LAYOUT_CURRENT)
		return rerr_set(e, RX_CONFIG, "%s/layout: layout version %lld; this release knows 1 to %d",
				s->root, v, STORE_LAYOUT_CURRENT);
	s->layout = (int)v;
	return 0;
}

int store_layout(const struct store *s)
{
	return s->layout;
}

void store_set_layout(struct store *s, int v)
{
	struct kv m;

	kv_init(&m);
	kv_setnum(&m, "version", v);
	store_put_kv(s, "layout", &m);
	kv_free(&m);
	s->layout = v;
}

/* With the lock held, what is in the temp folder is the litter of a killed run. */
static int sweep_tmpdir(struct store *s, struct rerr *e)
{
	char **names;
	size_t n;

	if (fs_mkdirs(s->tmpdir, e) < 0)
		return -1;
	if (store_list_dir(s->tmpdir, &names, &n) < 0)
		return rerr_set(e, RX_IO, "%s: %s", s->tmpdir, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", s->tmpdir, names[i]);
		unlink(p);
		free(p);
	}
	store_list_free(names, n);
	return 0;
}

int store_lock(struct store *s, int wait, struct rerr *e)
{
	char *p = xasprintf("%s/.git/rental.lock", s->root);
	int rc = 0;

	s->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0)
		rc = rerr_set(e, RX_IO, "%s: %s", p, strerror(errno));
	else if (flock(s->lockfd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
		rc = rerr_set(e, errno == EWOULDBLOCK ? RX_TEMP : RX_IO, "%s: %s", s->root,
			      errno == EWOULDBLOCK ? "home busy: another dispatcher is running"
						    : strerror(errno));
	free(p);
	if (rc == 0 && s->tmpdir)
		rc = sweep_tmpdir(s, e);
	if (rc == 0)
		rc = store_recover(s, e);
	return rc;
}

static void ahead_free(struct store *s);

/* ---- looking up ahead ---- */

#define LOOK_THREADS 12
#define LOOK_MIN 16   /* fewer paths than this: not worth a thread */
#define LOOK_SCOUT 16 /* look-ups timed by the first thread before more are started */
#define LOOK_SLOW_NS (LOOK_SCOUT * 20000LL) /* in memory, a look-up takes 1-3 us */

struct lookahead {
	char **paths;
	size_t n;
	int rootfd;
	atomic_size_t next, made;
	atomic_int stop;
	pthread_t t[LOOK_THREADS];
	atomic_size_t nt; /* threads started; the first starts the others */
};

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Looks up paths until none is left or it is told to stop; at most max of them. */
static void look_up(struct lookahead *l, size_t max)
{
	size_t i;
	struct stat st;

	while (max-- > 0 && !atomic_load_explicit(&l->stop, memory_order_relaxed) &&
	       (i = atomic_fetch_add(&l->next, 1)) < l->n) {
		(void)fstatat(l->rootfd, l->paths[i], &st, AT_SYMLINK_NOFOLLOW); /* absent is an answer too */
		atomic_fetch_add_explicit(&l->made, 1, memory_order_relaxed);
	}
}

static void *look_run(void *arg)
{
	look_up(arg, SIZE_MAX);
	return NULL;
}

/* The first thread times a sample of the look-ups, spread over the list (its first
 * paths may all be in memory, a car's file, while the rest is not): when the folders
 * are in memory, the batch's own look-ups cost as little as these and more threads
 * would only take the cores from it; when they wait on the disk, the other threads
 * are started. The sample is looked up again in its turn, from memory. */
static void *look_scout(void *arg)
{
	struct lookahead *l = arg;
	long long t0 = now_ns();
	struct stat st;

	for (size_t k = 0; k < LOOK_SCOUT && !atomic_load(&l->stop); k++)
		(void)fstatat(l->rootfd, l->paths[k * l->n / LOOK_SCOUT], &st, AT_SYMLINK_NOFOLLOW);
	if (now_ns() - t0 >= LOOK_SLOW_NS)
		for (size_t k = 1; k < LOOK_THREADS && !atomic_load(&l->stop); k++) {
			if (pthread_create(&l->t[k], NULL, look_run, l) != 0)
				break;
			atomic_store(&l->nt, k + 1);
		}
	look_up(l, SIZE_MAX);
	return NULL;
}

static size_t look_end(struct store *s, int stop)
{
	struct lookahead *l = s->look;
	size_t made;

	if (l == NULL)
		return 0;
	if (stop)
		atomic_store(&l->stop, 1);
	if (atomic_load(&l->nt) > 0)
		pthread_join(l->t[0], NULL); /* after it, no thread is started */
	for (size_t k = 1; k < atomic_load(&l->nt); k++)
		pthread_join(l->t[k], NULL);
	made = atomic_load(&l->made);
	if (l->rootfd >= 0)
		close(l->rootfd);
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l);
	s->look = NULL;
	return made;
}

void store_look_ahead(struct store *s, char **paths, size_t n)
{
	struct lookahead *l;

	look_end(s, 1);
	l = s->look = xcalloc(1, sizeof *l);
	l->paths = paths;
	l->n = n;
	atomic_init(&l->next, 0);
	atomic_init(&l->made, 0);
	atomic_init(&l->stop, 0);
	atomic_init(&l->nt, 0);
	l->rootfd = n < LOOK_MIN ? -1 : open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->rootfd >= 0 && pthread_create(&l->t[0], NULL, look_scout, l) == 0)
		atomic_store(&l->nt, 1);
}

size_t store_look_wait(struct store *s)
{
	return look_end(s, 0);
}

static void clear_overlay(struct store *s)
{
	look_end(s, 1);
	ahead_free(s);
	if (s->empty_fd >= 0)
		close(s->empty_fd);
	s->empty_fd = -1;
	cache_forget(s);
	atomic_store(&s->open_fds, 0);
	store_end(s);
	for (size_t i = 0; i < s->n; i++) {
		free(s->ents[i].path);
		free(s->ents[i].data);
		free(s->ents[i].same_as);
		free(s->ents[i].twin);
	}
	s->n = 0;
	free(s->slots);
	s->slots = NULL;
	s->nslots = 0;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	clear_overlay(s);
	free(s->ents);
	free(s->undo);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->vcs)
		s->vcs->free(s);
	pthread_mutex_destroy(&s->empty_mu);
	pthread_mutex_destroy(&s->cache_mu);
	free(s->root);
	free(s->tmpdir);
	free(s);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->path, (*(struct entry *const *)b)->path);
}

/* A batch's files are made before its commit and given their names after it. A new
 * file is made unnamed in its own folder (O_TMPFILE) and linked in, or, where its
 * bytes are a file of ours already (a log entry is its spool file), that file is
 * linked in: no new inode, and the spool's removal then frees none (ext4 without a
 * journal walks past every inode freed in the last minute to make one); a new empty
 * file (an index entry: a booking in its customer's folder) is one more name of the
 * batch's one empty inode, so it costs a folder entry and no inode; a file that
 * exists already (or past the budget of open descriptors, or where the file system
 * has no unnamed files) is made under a temp name in the store's temp folder and
 * renamed over. A crash in between leaves no unnamed file and temp files the next run
 * sweeps, and a work tree still at the last commit.
 * The making is spread over both cores: on a second thread while the contexts work
 * (store_ahead: the changes they have finished with), then on two while the commit is
 * built and after, for what is left; the names are given on both cores too. */

/* The unnamed files stay open until they are linked: a batch of a thousand events has
 * some 11,000. The soft limit of descriptors is raised to the hard one (capped), and a
 * margin kept for git's packs and the spool. */
static size_t fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		if (want > rl.rlim_cur) {
			rl.rlim_cur = want;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	return rl.rlim_cur > 512 ? (size_t)rl.rlim_cur - 512 : 0;
}

/* The budget is taken once a store, when its first batch makes files. */
static void know_fd_budget(struct store *s)
{
	if (!s->fds_known) {
		s->fds = fd_budget();
		s->fds_known = 1;
	}
}

/* A descriptor of the batch's empty inode, made unnamed at the store's root when first
 * asked for; -1 if it cannot be. Safe on any thread. Files are never written in
 * place, only replaced or removed, so one inode may be the content of many names;
 * past ext4's 65,000 names an inode the link fails and the file is made alone. */
static int empty_twin(struct store *s)
{
	int fd = -1;

	pthread_mutex_lock(&s->empty_mu);
	if (s->empty_fd < 0)
		s->empty_fd = open(s->root, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (s->empty_fd >= 0)
		fd = fcntl(s->empty_fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&s->empty_mu);
	return fd;
}

/* Makes the file full, to hold data: unnamed (*fd) where a descriptor is within the
 * budget, else under a temp name (*tmp). Whether full exists is not asked: most files
 * of a batch are new, and a link that finds one goes through a rename instead. Safe on
 * any thread. */
static int make_file(struct store *s, const char *full, const char *data, size_t len,
		     const char *same_as, int *fd, char **tmp, struct rerr *e)
{
	if (atomic_fetch_add(&s->open_fds, 1) < s->fds &&
	    ((same_as && (*fd = fs_open_same(same_as, data, len)) >= 0) ||
	     (len == 0 && !same_as && (*fd = empty_twin(s)) >= 0) ||
	     (*fd = fs_write_unnamed(full, data, len)) >= 0))
		return 0;
	atomic_fetch_sub(&s->open_fds, 1);
	*tmp = fs_write_temp(s->tmpdir, full, data, len, 0, e);
	return *tmp ? 0 : -1;
}

/* Forgets a file made and not named: it leaves no trace (unnamed) or is unlinked. */
static void unmake_file(struct store *s, int *fd, char **tmp)
{
	if (*fd >= 0) {
		close(*fd);
		atomic_fetch_sub(&s->open_fds, 1);
	}
	*fd = -1;
	if (*tmp)
		unlink(*tmp);
	free(*tmp);
	*tmp = NULL;
}

/* ---- ahead: files made while the batch goes on ---- */

/* One change handed over, with its own copy of the bytes: the entry may change after. */
struct ahead_item {
	char *path, *data, *same_as;
	size_t len;
	int fd;    /* made unnamed, or -1 */
	char *tmp; /* or made under this temp name, or NULL (not made, or it failed) */
};

struct ahead {
	struct store *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ahead_item **items;
	size_t n, cap, next; /* the thread takes items[next..n) */
	int stop, stopped;
	pthread_t t;
};

static void *ahead_run(void *arg)
{
	struct ahead *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->next == a->n && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		struct ahead_item *it = a->items[a->next++];
		pthread_mutex_unlock(&a->mu);
		char *full = xasprintf("%s/%s", a->s->root, it->path);
		struct rerr e = {0};
		/* A failure here is not reported: the commit makes the file again, and says. */
		make_file(a->s, full, it->data, it->len, it->same_as, &it->fd, &it->tmp, &e);
		free(full);
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static struct ahead *ahead_start(struct store *s)
{
	struct ahead *a = xcalloc(1, sizeof *a);

	a->s = s;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (pthread_create(&a->t, NULL, ahead_run, a) != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		free(a);
		return NULL;
	}
	return a;
}

/* Ends the thread after the item it is making; the rest stay not made. */
static void ahead_stop(struct ahead *a)
{
	if (a == NULL || a->stopped)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->t, NULL);
	a->stopped = 1;
}

static void ahead_free(struct store *s)
{
	struct ahead *a = s->ahead;

	if (a == NULL)
		return;
	ahead_stop(a);
	for (size_t i = 0; i < a->n; i++) {
		struct ahead_item *it = a->items[i];
		unmake_file(s, &it->fd, &it->tmp);
		free(it->path);
		free(it->data);
		free(it->same_as);
		free(it);
	}
	free(a->items);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
	s->ahead = NULL;
}

void store_ahead(struct store *s)
{
	struct ahead *a;

	if (s->in_txn)
		return;
	know_fd_budget(s);
	if (s->ahead == NULL && (s->ahead = ahead_start(s)) == NULL)
		return;
	a = s->ahead;
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < s->n; i++) {
		struct entry *en = &s->ents[i];
		if (!en->dirty)
			continue;
		en->dirty = 0;
		if (en->state != ENT_PUT || en->twin)
			continue; /* a twin is its twin's file, named after it */
		struct ahead_item *it = xcalloc(1, sizeof *it);
		it->path = xstrdup(en->path);
		it->data = xcalloc(1, en->len + 1);
		memcpy(it->data, en->data, en->len);
		it->len = en->len;
		it->same_as = en->same_as ? xstrdup(en->same_as) : NULL;
		it->fd = -1;
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 1024;
			a->items = xrealloc(a->items, a->cap * sizeof *a->items);
		}
		a->items[a->n++] = it;
		en->ahead = a->n;
	}
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* The file made ahead for en, if its bytes (and their source) are still en's. */
static struct ahead_item *ahead_match(struct store *s, const struct entry *en)
{
	struct ahead_item *it;

	if (s->ahead == NULL || en->ahead == 0 || en->state != ENT_PUT)
		return NULL;
	it = s->ahead->items[en->ahead - 1];
	if (it->len != en->len || memcmp(it->data, en->data, en->len) != 0 ||
	    (it->same_as == NULL) != (en->same_as == NULL) ||
	    (it->same_as && strcmp(it->same_as, en->same_as) != 0))
		return NULL;
	return it;
}

/* ---- the commit's own making and naming ---- */

struct prewrite {
	struct store *s;
	struct entry **ents;
	size_t n;
	char **tmp; /* per entry: its temp file; NULL for a deletion or an unnamed file */
	int *fd;    /* per entry: its unnamed file, or -1 */
	struct par par;
};

/* Makes entry i's file, unless it was made ahead. */
static int prewrite_one(void *ctx, size_t i, struct rerr *e)
{
	struct prewrite *p = ctx;
	struct entry *en = p->ents[i];
	char *full;
	int rc;

	if (en->state != ENT_PUT || en->twin || p->fd[i] >= 0 || p->tmp[i])
		return 0;
	full = xasprintf("%s/%s", p->s->root, en->path);
	rc = make_file(p->s, full, en->data, en->len, en->same_as, &p->fd[i], &p->tmp[i], e);
	free(full);
	return rc;
}

/* Takes over the files made ahead that still hold their entries' bytes, forgets the
 * others, then starts making the rest on a helper thread while the commit is built;
 * the caller joins in (prewrite_finish). */
static void prewrite_start(struct prewrite *p, struct store *s, struct entry **ents, size_t n)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	p->ents = ents;
	p->n = n;
	p->tmp = xcalloc(n + 1, sizeof *p->tmp);
	p->fd = xcalloc(n + 1, sizeof *p->fd);
	know_fd_budget(s);
	ahead_stop(s->ahead);
	for (size_t i = 0; i < n; i++) {
		struct ahead_item *it = ahead_match(s, ents[i]);
		p->fd[i] = -1;
		if (it) {
			p->fd[i] = it->fd;
			p->tmp[i] = it->tmp;
			it->fd = -1;
			it->tmp = NULL;
		}
	}
	ahead_free(s);
	par_start(&p->par, n, prewrite_one, p);
}

/* Helps make the rest of the files if the commit held (else stops), and waits. */
static int prewrite_finish(struct prewrite *p, int committed, struct rerr *e)
{
	if (!committed)
		par_stop(&p->par);
	return par_finish(&p->par, committed, e);
}

/* Removes the files not given their names (a failed commit, a failed rename). */
static void prewrite_free(struct prewrite *p)
{
	for (size_t i = 0; i < p->n; i++)
		unmake_file(p->s, &p->fd[i], &p->tmp[i]);
	free(p->tmp);
	free(p->fd);
}

/* Gives entry en, a twin, its name: a second one of its twin's file, which has its
 * name by now (a file of the batch), or is on disk already with en's bytes (one the
 * batch leaves alone: read to be sure); written as a file of its own if that cannot
 * be (other bytes there, its folder full). */
static int link_twin(struct prewrite *p, struct entry *en, struct rerr *e)
{
	char *full = xasprintf("%s/%s", p->s->root, en->path);
	char *twin = xasprintf("%s/%s", p->s->root, en->twin);
	int same = 1, rc = 0;

	if (en->twin_ent == NULL) {
		char *have = NULL;
		size_t n = 0;
		same = fs_read(twin, en->len, &have, &n, NULL) == 0 && n == en->len &&
		       memcmp(have, en->data, n) == 0;
		free(have);
	}
	if (!same || fs_link(twin, p->s->tmpdir, full) < 0)
		rc = fs_write_atomic_via(p->s->tmpdir, full, en->data, en->len, 0, e);
	free(twin);
	free(full);
	atomic_store(&en->named, 1);
	return rc;
}

/* Gives entry i its name. An unnamed file that cannot be linked (no /proc, say) is
 * written again the other way: the data is still here. A twin is linked here if its
 * twin has its name already (a booking's later nights, just after its first), else
 * after all the others (link_late). */
static int put_in_place(void *ctx, size_t i, struct rerr *e)
{
	struct prewrite *p = ctx;
	struct entry *en = p->ents[i];
	char *full;
	int rc;

	if (en->twin)
		return !en->twin_ent || atomic_load(&en->twin_ent->named) ? link_twin(p, en, e) : 0;
	full = xasprintf("%s/%s", p->s->root, en->path);
	if (en->state == ENT_DEL) {
		rc = fs_unlink(full, e);
	} else if (p->fd[i] >= 0) {
		int fd = p->fd[i];
		p->fd[i] = -1;
		rc = fs_link_unnamed(fd, p->s->tmpdir, full, NULL);
		if (rc < 0)
			rc = fs_write_atomic_via(p->s->tmpdir, full, en->data, en->len, 0, e);
	} else {
		rc = fs_rename_into(p->tmp[i], full, e);
		free(p->tmp[i]);
		p->tmp[i] = NULL;
	}
	free(full);
	atomic_store(&en->named, rc == 0);
	return rc;
}

/* The twins whose twin came after them (an id's entry, named before its log entry). */
static int link_late(void *ctx, size_t i, struct rerr *e)
{
	struct prewrite *p = ctx;
	struct entry *en = p->ents[i];

	return en->twin && !atomic_load(&en->named) ? link_twin(p, en, e) : 0;
}

/* The names are given on two cores too: each link or rename is a folder's own. */
static int write_files(struct prewrite *p, struct rerr *e)
{
	struct par par;

	par_start(&par, p->n, put_in_place, p);
	if (par_finish(&par, 1, e) < 0)
		return -1;
	par_start(&par, p->n, link_late, p);
	return par_finish(&par, 1, e);
}

/* Keeps the twins whose twin is put with their bytes in this batch, and is not itself
 * a twin, or is not in the batch (a file on disk, checked when linked); the others are
 * made as files of their own. */
static void check_twins(struct store *s, struct entry **ents, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct entry *en = ents[i], *t;
		atomic_init(&en->named, 0);
		en->twin_ent = NULL;
		if (en->twin == NULL)
			continue;
		t = lookup(s, en->twin, 0);
		if (t && t->state == ENT_ABSENT)
			t = NULL; /* only read, or taken back: what is on disk */
		if (en->state != ENT_PUT ||
		    (t && (t == en || t->state != ENT_PUT || t->twin || t->len != en->len ||
			   memcmp(t->data, en->data, en->len) != 0))) {
			free(en->twin);
			en->twin = NULL;
		} else {
			en->twin_ent = t;
		}
	}
}

int store_recover(struct store *s, struct rerr *e)
{
	cache_forget(s); /* recovery may write files back */
	if (s->vcs && s->vcs->recover(s, e) < 0)
		return -1;
	cache_forget(s);
	/* Recovery may have brought state/layout back with the files of the last commit,
	 * and a discarded batch (a genesis that failed) may have set one not written. */
	return store_load_layout(s, e);
}

void store_discard(struct store *s)
{
	clear_overlay(s);
	if (s->vcs)
		s->vcs->abort(s);
}

int store_maintain(struct store *s, struct rerr *e)
{
	return s->vcs && s->vcs->maintain ? s->vcs->maintain(s, e) : 0;
}

void store_head(struct store *s, char out[41])
{
	out[0] = '\0';
	if (s->vcs)
		s->vcs->head(s, out);
}

int store_commit(struct store *s, const char *msg, struct rerr *e)
{
	struct entry **ents;
	struct prewrite pw = {0};
	size_t n = 0;
	int rc = -1;

	store_end(s);
	ents = xcalloc(s->n + 1, sizeof *ents);
	for (size_t i = 0; i < s->n; i++)
		if (s->ents[i].state != ENT_ABSENT)
			ents[n++] = &s->ents[i];
	if (n == 0) {
		free(ents);
		clear_overlay(s);
		return 0;
	}
	qsort(ents, n, sizeof *ents, cmp_entry);
	check_twins(s, ents, n);
	prewrite_start(&pw, s, ents, n);
	int committed = !s->vcs || s->vcs->commit(s, ents, n, msg, e) == 0;
	/* The commit's error comes first; the temp files' only if the commit held. */
	if (prewrite_finish(&pw, committed, committed ? e : NULL) < 0 || !committed)
		goto out;
	crash_point("commit");
	if (write_files(&pw, e) < 0)
		goto out;
	crash_point("files");
	if (s->vcs && s->vcs->committed(s, ents, n, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && s->vcs)
		s->vcs->abort(s);
	if (pw.tmp)
		prewrite_free(&pw);
	free(ents);
	clear_overlay(s);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*names = xrealloc(*names, cap * sizeof **names);
		}
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, cmp_str);
	return 0;
}

void store_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void store_records_add(const char *path, struct kv **recs, size_t *n)
{
	char *buf;
	size_t len;
	struct kv m;

	if (fs_read(path, 1 << 20, &buf, &len, NULL) != 0)
		return;
	if (kv_parse(&m, buf, len, path, NULL) == 0) {
		*recs = xrealloc(*recs, (*n + 1) * sizeof **recs);
		(*recs)[(*n)++] = m;
	}
	free(buf);
}

int store_read_records(const char *dir, int recursive, struct kv **recs, size_t *n)
{
	char **names;
	size_t count;

	if (store_list_dir(dir, &names, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		size_t l = strlen(names[i]);
		if (l > 5 && strcmp(names[i] + l - 5, ".yaml") == 0)
			store_records_add(p, recs, n);
		else if (recursive)
			store_read_records(p, 1, recs, n);
		free(p);
	}
	store_list_free(names, count);
	return 0;
}

void store_records_free(struct kv *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kv_free(&recs[i]);
	free(recs);
}
