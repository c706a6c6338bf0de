/* store_git: the git side of a store: one commit a batch with its objects in one pack
 * (libgit2's mempack), and the recovery of a half-written work tree. Only the
 * dispatcher links it; the commands read plain files.
 *
 * No index: state/.git is marked bare (core.bare), and the files beside it are written
 * by the dispatcher alone. A git index lists every file of the tree and is rewritten
 * whole at each commit, so keeping one would make each batch cost the size of the
 * history (about 100 bytes a file: a gigabyte at a million events). git log, show and
 * diff between commits work as ever; `git status` says it needs a work tree.
 *
 * Crash safety: the work tree is only written after the commit and the branch are
 * durable; .git/rental-worktree then records which commit the files show. On open, if
 * that marker is not the branch head, the files that changed between the two commits
 * are written again from git, so a crash at any step leaves nothing half done. */
#include "store_impl.h"
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include "gitpack.h"

struct gitdata {
	git_repository *repo;
	git_odb_backend *mempack;
	git_odb *odb;   /* the repository's, kept for the whole life of the store */
	git_oid commit; /* the commit the overlay became */
	git_oid *made;  /* the objects this batch wrote, for its pack */
	size_t nmade, capmade;
	struct gitpack_reader *packs; /* the packs, for the trees a commit starts from */
	git_odb *reader; /* the same through libgit2, for what packs cannot read */
	size_t reads;    /* trees read through it since it was opened */
};

/* The page cache of the pack reader: the hot top of each index's binary search stays
 * here for the whole commit; memory is this, whatever the history. */
#define READER_CACHE ((size_t)4 << 20)

/* libgit2 maps each pack index whole, and a search touches pages all over it: read
 * through one odb for long, the touched pages of indexes that grow with the history
 * stay resident (60 MB at 100k events). The reader is opened afresh every so many
 * trees, which unmaps them: resident memory is bounded by this, not by the history. */
#define READS_PER_OPEN 32

#define REPO(s) (((struct gitdata *)(s)->vcs_data)->repo)
#define MEMPACK(s) (((struct gitdata *)(s)->vcs_data)->mempack)

static int git_fail(struct rerr *e, const char *what)
{
	const git_error *g = git_error_last();

	return rerr_set(e, RX_IO, "state: %s: %s", what, g && g->message ? g->message : "libgit2 error");
}

/* Sets core.bare: no index, and git refuses work-tree commands that would touch
 * files the dispatcher owns (checkout, reset --hard). */
static int mark_bare(git_repository *repo)
{
	git_config *cfg = NULL;
	int rc = git_repository_config(&cfg, repo);

	if (rc == 0)
		rc = git_config_set_bool(cfg, "core.bare", 1);
	git_config_free(cfg);
	return rc;
}

int store_init_repo(const char *root, struct rerr *e)
{
	git_repository *repo = NULL;
	git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	int rc = 0;

	git_libgit2_init();
	o.flags = GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	if (git_repository_init_ext(&repo, root, &o) < 0 || mark_bare(repo) < 0)
		rc = git_fail(e, root);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

static char *marker_path(struct store *s)
{
	return xasprintf("%s/.git/rental-worktree", s->root);
}

static char *pack_dir(struct store *s)
{
	return xasprintf("%s/objects/pack", git_repository_path(REPO(s)));
}

/* Opens the repository with the mempack in front of its object database. */
static int open_repo(struct store *s, struct rerr *e)
{
	struct gitdata *g = s->vcs_data;

	if (git_repository_open_ext(&g->repo, s->root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return git_fail(e, s->root);
	if (git_repository_odb(&g->odb, g->repo) < 0 || git_mempack_new(&g->mempack) < 0 ||
	    git_odb_add_backend(g->odb, g->mempack, 999) < 0)
		return git_fail(e, "odb");
	return 0;
}

static void close_repo(struct gitdata *g)
{
	gitpack_reader_free(g->packs);
	g->packs = NULL;
	git_odb_free(g->reader);
	g->reader = NULL;
	git_odb_free(g->odb);
	git_repository_free(g->repo);
	g->odb = NULL;
	g->repo = NULL;
	g->mempack = NULL;
}

static int head_oid(struct store *s, git_oid *oid)
{
	return git_reference_name_to_id(oid, REPO(s), "HEAD") == 0;
}

static int sync_root(struct store *s, struct rerr *e)
{
	int fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return rerr_set(e, RX_IO, "%s: %s", s->root, strerror(errno));
	if (syncfs(fd) < 0)
		rc = rerr_set(e, RX_IO, "%s: sync: %s", s->root, strerror(errno));
	close(fd);
	return rc;
}

/* The work tree's marker (.git/rental-worktree) says which commit's files are in place.
 * Its first line is the last commit whose files were synced to disk: they survive a
 * power loss. Its second, "written HEX BOOT N T", the last commit whose files are in
 * place but perhaps only in the page cache of boot BOOT, N batches after the sync, made
 * at unix time T. Syncing the file system after every batch cost about a tenth of it;
 * the files are derived from the commit, which is durable at once, so they are synced
 * every CHECKPOINT_BATCHES batches or CHECKPOINT_SECONDS seconds. After a crash of the
 * process (the same boot) the files of the written commit are whole; after a power
 * loss (another boot), recovery writes again every file the commits since the synced
 * one touched, and removes those the last commit does not have. */
#define CHECKPOINT_BATCHES 8
#define CHECKPOINT_SECONDS 10

struct marker {
	int synced_ok, written_ok;
	git_oid synced, written;
	char boot[40];
	long pending;
	long long synced_at;
};

/* This boot's id (RENTAL_BOOT_ID stands for it in tests); "" if unknown, and then the
 * files are synced after every batch. */
static void boot_id(char out[40])
{
	const char *env = getenv("RENTAL_BOOT_ID");
	int fd;

	out[0] = '\0';
	if (env != NULL) {
		snprintf(out, 40, "%s", env);
	} else if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)) >= 0) {
		/* fs_read trusts the size stat gives, which is 0 for /proc's files */
		ssize_t n = read(fd, out, 39);
		out[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	out[strcspn(out, " \n")] = '\0';
}

static void marker_read(struct store *s, struct marker *m)
{
	char *p = marker_path(s), *buf = NULL, hex[GIT_OID_HEXSZ + 1];

	memset(m, 0, sizeof *m);
	if (fs_read(p, 400, &buf, NULL, NULL) == 0) {
		m->synced_ok = git_oid_fromstrn(&m->synced, buf, GIT_OID_HEXSZ) == 0;
		const char *two = strchr(buf, '\n');
		if (two && sscanf(two + 1, "written %40s %39s %ld %lld", hex, m->boot, &m->pending,
				  &m->synced_at) == 4)
			m->written_ok = git_oid_fromstr(&m->written, hex) == 0;
	}
	free(buf);
	free(p);
}

/* Writes the marker; synced only when it records a sync (it is the proof of one). */
static int marker_write(struct store *s, const struct marker *m, int sync, struct rerr *e)
{
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1], line[256];
	char *p = marker_path(s);
	int rc;

	git_oid_tostr(a, sizeof a, &m->synced);
	git_oid_tostr(b, sizeof b, &m->written);
	if (m->boot[0])
		snprintf(line, sizeof line, "%s\nwritten %s %s %ld %lld\n", a, b, m->boot, m->pending,
			 m->synced_at);
	else
		snprintf(line, sizeof line, "%s\n", a);
	rc = fs_write_atomic(p, line, strlen(line), sync, e);
	free(p);
	return rc;
}

/* Syncs the work tree and records commit as durable. */
static int checkpoint(struct store *s, const git_oid *commit, struct rerr *e)
{
	struct marker m = {.synced_ok = 1, .written_ok = 1, .synced_at = (long long)time(NULL)};

	if (sync_root(s, e) < 0)
		return -1;
	git_oid_cpy(&m.synced, commit);
	git_oid_cpy(&m.written, commit);
	boot_id(m.boot);
	return marker_write(s, &m, 1, e);
}

/* Writes one file of a commit's tree into the work tree. */
static int checkout_file(struct store *s, const git_oid *blob_id, const char *path, struct rerr *e)
{
	git_blob *blob;
	char *full = xasprintf("%s/%s", s->root, path);
	int rc;

	if (git_blob_lookup(&blob, REPO(s), blob_id) < 0) {
		free(full);
		return git_fail(e, path);
	}
	rc = fs_write_atomic_via(s->tmpdir, full, git_blob_rawcontent(blob),
				 (size_t)git_blob_rawsize(blob), 0, e);
	git_blob_free(blob);
	free(full);
	return rc;
}

/* git's own lock files left by a killed run: with our lock held, no one else
 * writes this repository, so they are stale and only block the next commit. */
static int remove_stale_git_locks(struct store *s, struct rerr *e)
{
	static const char *const locks[] = {"index.lock", "refs/heads/main.lock", "HEAD.lock"};

	for (size_t i = 0; i < sizeof locks / sizeof locks[0]; i++) {
		char *p = xasprintf("%s/.git/%s", s->root, locks[i]);
		int rc = fs_unlink(p, e);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A home made before the index was dropped: mark it bare, remove its index. */
static int drop_index(struct store *s, struct rerr *e)
{
	char *p;
	int rc;

	if (git_repository_is_bare(REPO(s)))
		return 0;
	if (mark_bare(REPO(s)) < 0)
		return git_fail(e, "core.bare");
	p = xasprintf("%s/.git/index", s->root);
	rc = fs_unlink(p, e);
	free(p);
	return rc;
}

/* Brings the work tree from the commit in the marker to the branch head. */
/* Brings the files from tree from (NULL: none) to tree to, by their diff. */
static int apply_diff(struct store *s, git_tree *from, git_tree *to, struct rerr *e)
{
	git_diff *diff = NULL;
	int rc = 0;

	if (git_diff_tree_to_tree(&diff, REPO(s), from, to, NULL) < 0)
		return git_fail(e, "recovery diff");
	for (size_t i = 0; rc == 0 && i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (d->status == GIT_DELTA_DELETED) {
			char *full = xasprintf("%s/%s", s->root, d->old_file.path);
			rc = fs_unlink(full, e);
			free(full);
		} else {
			rc = checkout_file(s, &d->new_file.id, d->new_file.path, e);
		}
	}
	git_diff_free(diff);
	return rc;
}

/* Sets path to what tree has, or removes it where tree has none. */
static int restore_path(struct store *s, git_tree *tree, const char *path, struct rerr *e)
{
	git_tree_entry *te = NULL;
	int rc;

	if (git_tree_entry_bypath(&te, tree, path) == 0 && git_tree_entry_type(te) == GIT_OBJECT_BLOB) {
		rc = checkout_file(s, git_tree_entry_id(te), path, e);
	} else {
		char *full = xasprintf("%s/%s", s->root, path);
		rc = fs_unlink(full, e);
		free(full);
	}
	git_tree_entry_free(te);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the paths commit c changed from its parent (all of them for a root commit). */
static int changed_paths(struct store *s, git_commit *c, char ***paths, size_t *n, size_t *cap,
			 struct rerr *e)
{
	git_commit *parent = NULL;
	git_tree *pt = NULL, *ct = NULL;
	git_diff *diff = NULL;
	int rc = -1;

	if ((git_commit_parentcount(c) > 0 &&
	     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0)) ||
	    git_commit_tree(&ct, c) < 0 || git_diff_tree_to_tree(&diff, REPO(s), pt, ct, NULL) < 0) {
		git_fail(e, "recovery diff");
		goto out;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*paths = xrealloc(*paths, *cap * sizeof **paths);
		}
		(*paths)[(*n)++] = xstrdup(d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path);
	}
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(pt);
	git_tree_free(ct);
	git_commit_free(parent);
	return rc;
}

/* After a power loss: every path the commits after base touched, set to what HEAD
 * (head, its tree ht) has. A diff of base and HEAD would miss a file made and removed
 * again since base, which the lost page cache may have brought back. 1 if base is
 * not among the last few commits (then the caller diffs). */
static int replay_commits(struct store *s, const git_oid *base, git_commit *head, git_tree *ht,
			  struct rerr *e)
{
	char **paths = NULL;
	size_t n = 0, cap = 0;
	git_commit *c = NULL;
	int rc = 1;

	if (git_commit_dup(&c, head) < 0)
		return git_fail(e, "recovery");
	for (int k = 0; k <= 4 * CHECKPOINT_BATCHES; k++) {
		git_commit *parent = NULL;
		if (git_oid_equal(git_commit_id(c), base)) {
			rc = 0;
			break;
		}
		if (changed_paths(s, c, &paths, &n, &cap, e) < 0) {
			rc = -1;
			break;
		}
		if (git_commit_parentcount(c) == 0) {
			rc = 0; /* the whole history: every path it ever had */
			break;
		}
		if (git_commit_parent(&parent, c, 0) < 0) {
			rc = git_fail(e, "recovery");
			break;
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	if (rc == 0 && n > 0)
		qsort(paths, n, sizeof *paths, cmp_path);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (i == 0 || strcmp(paths[i], paths[i - 1]) != 0)
			rc = restore_path(s, ht, paths[i], e);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

/* Brings the work tree to HEAD, from what the marker says is in place: the written
 * commit after a crash of the process, the synced one after a power loss. */
static int recover_worktree(struct store *s, struct rerr *e)
{
	git_oid head;
	git_commit *hc = NULL, *bc = NULL;
	git_tree *ht = NULL, *bt = NULL;
	struct marker m;
	char boot[40];
	int rc = -1;

	char *packs = pack_dir(s);
	int swept = gitpack_sweep(packs, e);
	free(packs);
	if (swept < 0 || remove_stale_git_locks(s, e) < 0 || drop_index(s, e) < 0)
		return -1;
	if (!head_oid(s, &head))
		return 0; /* no commit yet: nothing to bring back */
	marker_read(s, &m);
	boot_id(boot);
	int same_boot = m.written_ok && boot[0] && strcmp(m.boot, boot) == 0;
	if (same_boot ? git_oid_equal(&m.written, &head) : m.synced_ok && git_oid_equal(&m.synced, &head))
		return 0;
	const git_oid *base = same_boot ? &m.written : m.synced_ok ? &m.synced : NULL;
	if (git_commit_lookup(&hc, REPO(s), &head) < 0 || git_commit_tree(&ht, hc) < 0) {
		git_fail(e, "HEAD");
		goto out;
	}
	int r = 1;
	if (!same_boot && base && (r = replay_commits(s, base, hc, ht, e)) < 0)
		goto out;
	if (r == 1) {
		if (base && git_commit_lookup(&bc, REPO(s), base) == 0 && git_commit_tree(&bt, bc) < 0) {
			git_fail(e, "marker commit");
			goto out;
		}
		if (apply_diff(s, bt, ht, e) < 0)
			goto out;
	}
	rc = checkpoint(s, &head, e);
out:
	git_tree_free(ht);
	git_tree_free(bt);
	git_commit_free(hc);
	git_commit_free(bc);
	return rc;
}

/* The objects of a batch go straight to the mempack backend. git_odb_write would,
 * for each new object, look for it in every backend, rescan objects/pack when it is
 * not there (an opendir and a stat of each pack: ~30 system calls an event), then
 * write. Nor is the repository asked whether it has the object already: a miss
 * searches every pack's index, and those searches touch pages all over indexes that
 * grow with the history (tens of MB resident at 100k events). An object the history
 * has already (a file set back to an old content) is written again into this batch's
 * pack; merging packs keeps one copy. Nothing but this process writes the repository
 * while the lock is held. */
static void made(struct store *s, const git_oid *oid)
{
	struct gitdata *g = s->vcs_data;

	if (g->nmade == g->capmade) {
		g->capmade = g->capmade ? g->capmade * 2 : 256;
		g->made = xrealloc(g->made, g->capmade * sizeof *g->made);
	}
	git_oid_cpy(&g->made[g->nmade++], oid);
}

static int object_write(struct store *s, git_oid *oid, const void *data, size_t len,
			git_object_t type)
{
	struct gitdata *g = s->vcs_data;

	gitpack_hash(oid, data, len, type);
	if (g->mempack->exists(g->mempack, oid))
		return 0;
	if (g->mempack->write(g->mempack, oid, data, len, type) < 0)
		return -1;
	made(s, oid);
	return 0;
}

/* One entry of a tree being built: from the base tree or from the batch. */
struct tent {
	const char *name;
	size_t nlen;
	unsigned mode;
	git_oid oid;
	int del; /* a change that removes the name */
};

static int tent_name_cmp(const void *a, const void *b)
{
	const struct tent *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* git's order: a folder's name compares as if it ended in '/'. */
static int tent_git_cmp(const void *a, const void *b)
{
	const struct tent *x = a, *y = b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	unsigned c1 = x->nlen > n ? (unsigned char)x->name[n] : x->mode == GIT_FILEMODE_TREE ? '/' : 0;
	unsigned c2 = y->nlen > n ? (unsigned char)y->name[n] : y->mode == GIT_FILEMODE_TREE ? '/' : 0;
	return (int)c1 - (int)c2;
}

/* Writes the tree made of base's entries with the changes applied (both sorted by
 * name); *empty when nothing is left. */
static int tree_write(struct store *s, struct tent *base, size_t nb, struct tent *chg, size_t nc,
		      git_oid *out, int *empty)
{
	struct tent *all = xcalloc(nb + nc + 1, sizeof *all);
	size_t n = 0, i = 0, j = 0, cap = 64, len = 0;
	char *buf;
	int rc;

	while (i < nb || j < nc) {
		int c = i == nb ? 1 : j == nc ? -1 : strcmp(base[i].name, chg[j].name);
		if (c < 0) {
			all[n++] = base[i++];
			continue;
		}
		if (c == 0)
			i++; /* the change replaces or removes it */
		if (!chg[j].del)
			all[n++] = chg[j];
		j++;
	}
	qsort(all, n, sizeof *all, tent_git_cmp);
	for (size_t k = 0; k < n; k++)
		cap += all[k].nlen + 32;
	buf = xrealloc(NULL, cap);
	for (size_t k = 0; k < n; k++) {
		len += (size_t)sprintf(buf + len, "%o %s", all[k].mode, all[k].name) + 1;
		memcpy(buf + len, all[k].oid.id, GIT_OID_RAWSZ);
		len += GIT_OID_RAWSZ;
	}
	*empty = n == 0;
	rc = object_write(s, out, buf, len, GIT_OBJECT_TREE);
	free(buf);
	free(all);
	return rc;
}

/* Reads tree id into *data (malloc'd). The trees a batch starts from are its
 * parent's, in the packs: read with plain reads through a bounded cache (gitpack's
 * reader, opened for one commit); what it cannot read (a delta in a pack git made)
 * through libgit2. */
/* The pack reader of this commit, opened when first needed; NULL if it cannot be. */
static struct gitpack_reader *open_packs(struct store *s)
{
	struct gitdata *g = s->vcs_data;

	if (g->packs == NULL) {
		char *dir = pack_dir(s);
		if (gitpack_reader_open(&g->packs, dir, READER_CACHE, NULL) < 0) {
			gitpack_reader_free(g->packs);
			g->packs = NULL;
		}
		free(dir);
	}
	return g->packs;
}

static int read_tree(struct store *s, const git_oid *id, unsigned char **data, size_t *len)
{
	struct gitdata *g = s->vcs_data;
	git_odb_object *obj = NULL;
	git_object_t type;
	int rc = 1;

	if (open_packs(s))
		rc = gitpack_reader_read(g->packs, id, &type, data, len);
	if (rc != 0) { /* not read there: libgit2 finds it, or says what is wrong */
		if (g->reader == NULL || g->reads >= READS_PER_OPEN) {
			char *objects = xasprintf("%s/objects", git_repository_path(g->repo));
			git_odb_free(g->reader);
			g->reader = NULL;
			g->reads = 0;
			int r = git_odb_open(&g->reader, objects);
			free(objects);
			if (r < 0)
				return -1;
		}
		g->reads++;
		if (git_odb_read(&obj, g->reader, id) < 0)
			return -1;
		type = git_odb_object_type(obj);
		*len = git_odb_object_size(obj);
		*data = xcalloc(1, *len + 1);
		memcpy(*data, git_odb_object_data(obj), *len);
		git_odb_object_free(obj);
	}
	if (type != GIT_OBJECT_TREE) {
		free(*data);
		*data = NULL;
		git_error_set_str(GIT_ERROR_OBJECT, "not a tree");
		return -1;
	}
	return 0;
}

/* The entries of a raw tree ("MODE NAME\0" and 20 bytes of id each); names point into
 * data. -1 if it is malformed. */
static int parse_tree(const char *data, size_t len, struct tent **out, size_t *n)
{
	size_t cap = 16, i = 0;

	*n = 0;
	*out = xcalloc(cap, sizeof **out);
	while (i < len) {
		unsigned mode = 0;
		while (i < len && data[i] >= '0' && data[i] <= '7')
			mode = mode * 8 + (unsigned)(data[i++] - '0');
		if (i >= len || data[i++] != ' ')
			return -1;
		const char *name = data + i, *nul = memchr(name, '\0', len - i);
		if (nul == NULL || nul == name || (size_t)(nul - data) + 1 + GIT_OID_RAWSZ > len)
			return -1;
		if (*n == cap) {
			cap *= 2;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct tent *t = &(*out)[(*n)++];
		memset(t, 0, sizeof *t);
		t->name = name;
		t->nlen = (size_t)(nul - name);
		t->mode = mode;
		git_oid_fromraw(&t->oid, (const unsigned char *)nul + 1);
		i = (size_t)(nul - data) + 1 + GIT_OID_RAWSZ;
	}
	return 0;
}

/* The new tree for the folder at ents[0..n) (paths sharing the first off bytes),
 * starting from the tree base (NULL if the folder is new). *empty says it has no
 * entries. */
static int build_tree(struct store *s, const git_oid *base, struct entry **ents, size_t n,
		      size_t off, git_oid *out, int *empty, struct rerr *e)
{
	unsigned char *raw = NULL;
	struct tent *old = NULL, *chg = xcalloc(n + 1, sizeof *chg);
	char **names = xcalloc(n + 1, sizeof *names);
	size_t nb = 0, nc = 0, rawlen = 0;
	int rc = -1;

	if (base && read_tree(s, base, &raw, &rawlen) < 0) {
		git_fail(e, "tree");
		goto out;
	}
	if (raw && parse_tree((const char *)raw, rawlen, &old, &nb) < 0) {
		rerr_set(e, RX_IO, "state: tree %s is malformed", git_oid_tostr_s(base));
		goto out;
	}
	if (nb)
		qsort(old, nb, sizeof *old, tent_name_cmp);
	for (size_t i = 0; i < n;) {
		const char *name = ents[i]->path + off;
		const char *slash = strchr(name, '/');
		struct tent *c = &chg[nc++];
		if (slash == NULL) {
			c->name = name;
			c->nlen = strlen(name);
			c->mode = GIT_FILEMODE_BLOB;
			c->del = ents[i]->state == ENT_DEL;
			if (!c->del && object_write(s, &c->oid, ents[i]->data, ents[i]->len, GIT_OBJECT_BLOB) < 0) {
				git_fail(e, ents[i]->path);
				goto out;
			}
			i++;
			continue;
		}
		size_t clen = (size_t)(slash - name), j = i;
		while (j < n && strncmp(ents[j]->path + off, name, clen + 1) == 0)
			j++;
		c->name = names[nc - 1] = xasprintf("%.*s", (int)clen, name);
		c->nlen = clen;
		c->mode = GIT_FILEMODE_TREE;
		struct tent key = {.name = c->name}, *hit = nb ? bsearch(&key, old, nb, sizeof *old, tent_name_cmp) : NULL;
		git_oid sub;
		int has_sub = hit && hit->mode == GIT_FILEMODE_TREE;
		if (has_sub)
			git_oid_cpy(&sub, &hit->oid);
		if (build_tree(s, has_sub ? &sub : NULL, ents + i, j - i, off + clen + 1, &c->oid, &c->del, e) < 0)
			goto out;
		i = j;
	}
	/* Changes came in path order, where "a.b" sorts before "a/x" before "a0". */
	qsort(chg, nc, sizeof *chg, tent_name_cmp);
	if (tree_write(s, old, nb, chg, nc, out, empty) < 0) {
		git_fail(e, "tree");
		goto out;
	}
	rc = 0;
out:
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	free(chg);
	free(old);
	free(raw);
	return rc;
}

/* Writes the objects this batch made, and only those, as one pack with its index,
 * durably. (git_mempack_dump would add every object the commit reaches, the whole
 * state again, so each pack would grow with the history.) */
static int write_pack(struct store *s, struct rerr *e)
{
	struct gitdata *g = s->vcs_data;
	char *dir = pack_dir(s), name[46];
	int rc = gitpack_write(g->odb, g->made, g->nmade, dir, name, e);

	free(dir);
	if (rc < 0)
		return -1;
	git_mempack_reset(g->mempack);
	g->nmade = 0;
	git_odb_refresh(g->odb);
	return 0;
}

static int commit_git(struct store *s, struct entry **ents, size_t n, const char *msg,
		      git_oid *coid, struct rerr *e)
{
	git_oid head, tree_oid;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	int has_head = head_oid(s, &head), empty, rc = -1;

	if (has_head && git_commit_lookup(&parent, REPO(s), &head) < 0) {
		git_fail(e, "HEAD");
		goto out;
	}
	const git_oid *base = parent ? git_commit_tree_id(parent) : NULL;
	/* Walkers read ahead of the build the trees it will read (see gitpack_warm). */
	const char **paths = xcalloc(n + 1, sizeof *paths);
	for (size_t i = 0; i < n; i++)
		paths[i] = ents[i]->path;
	struct gitpack_reader *packs = base ? open_packs(s) : NULL;
	struct gitpack_warm *w = packs ? gitpack_warm_start(packs, base, paths, n) : NULL;
	rc = build_tree(s, base, ents, n, 0, &tree_oid, &empty, e);
	gitpack_warm_stop(w);
	free(paths);
	/* The next batch starts from this one's pack too, and merges change the packs. */
	gitpack_reader_free(((struct gitdata *)s->vcs_data)->packs);
	((struct gitdata *)s->vcs_data)->packs = NULL;
	if (rc < 0)
		goto out;
	rc = -1;
	if (git_tree_lookup(&tree, REPO(s), &tree_oid) < 0 ||
	    git_signature_now(&sig, "rental dispatcher", "dispatcher@rental.invalid") < 0 ||
	    git_commit_create(coid, REPO(s), NULL, sig, sig, NULL, msg, tree, has_head ? 1 : 0,
			      (const git_commit **)&parent) < 0) {
		git_fail(e, "commit");
		goto out;
	}
	made(s, coid);
	if (write_pack(s, e) < 0)
		goto out;
	crash_point("objects");
	if (git_reference_create(&ref, REPO(s), "refs/heads/main", coid, 1, NULL) < 0) {
		git_fail(e, "refs/heads/main");
		goto out;
	}
	rc = 0;
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

static void git_head(struct store *s, char out[41])
{
	git_oid oid;

	if (head_oid(s, &oid))
		git_oid_tostr(out, 41, &oid);
}

static int git_commit_step(struct store *s, struct entry **ents, size_t n, const char *msg,
			   struct rerr *e)
{
	return commit_git(s, ents, n, msg, &((struct gitdata *)s->vcs_data)->commit, e);
}

/* One pack a batch would make lookups scan ever more packs (and open as many files);
 * packs are merged geometrically, as git's repack --geometric=2: each object is
 * rewritten O(log n) times over its life, and about log2(history / batch) packs stay.
 * A merge streams (gitpack_merge): its memory does not grow with the packs. */
static int merge_packs(struct store *s, struct rerr *e)
{
	struct gitdata *g = s->vcs_data;
	struct gitpack_info *packs = NULL;
	size_t n = 0, k;
	char *dir = pack_dir(s), name[46];
	int rc = -1;

	if (gitpack_list(dir, &packs, &n, e) < 0)
		goto out;
	if ((k = gitpack_geometric(packs, n, GITPACK_MERGE_MAX)) < 2) {
		rc = 0;
		goto out;
	}
	/* The batch is gone from memory; hand its pages back before the merge grows. */
	malloc_trim(0);
	if (gitpack_merge(g->odb, dir, packs, k, name, e) < 0)
		goto out;
	crash_point("merged");
	for (size_t i = 0; i < k; i++)
		if (strcmp(packs[i].name, name) != 0 && gitpack_remove(dir, packs[i].name, e) < 0)
			goto out;
	if (fs_fsync_dir(dir, e) < 0)
		goto out;
	/* libgit2 keeps the removed packs open; start afresh. */
	close_repo(g);
	rc = open_repo(s, e);
out:
	free(packs);
	free(dir);
	return rc;
}

size_t store_pack_count(struct store *s)
{
	struct gitpack_info *packs = NULL;
	size_t n = 0;
	char *dir;

	if (s->vcs == NULL)
		return 0;
	dir = pack_dir(s);
	gitpack_list(dir, &packs, &n, NULL);
	free(packs);
	free(dir);
	return n;
}

static int git_committed(struct store *s, struct entry **ents, size_t n, struct rerr *e)
{
	const git_oid *commit = &((struct gitdata *)s->vcs_data)->commit;
	long long now = (long long)time(NULL);
	struct marker m;
	char boot[40];

	marker_read(s, &m);
	boot_id(boot);
	if (!boot[0] || !m.synced_ok || !m.written_ok || strcmp(m.boot, boot) != 0 ||
	    m.pending + 1 >= CHECKPOINT_BATCHES || now - m.synced_at >= CHECKPOINT_SECONDS || now < m.synced_at)
		return checkpoint(s, commit, e);
	git_oid_cpy(&m.written, commit);
	m.pending++;
	return marker_write(s, &m, 0, e);
}

static void git_abort(struct store *s)
{
	git_mempack_reset(MEMPACK(s));
	((struct gitdata *)s->vcs_data)->nmade = 0;
}

static void git_free(struct store *s)
{
	struct gitdata *g = s->vcs_data;

	close_repo(g);
	free(g->made);
	free(g);
	git_libgit2_shutdown();
}

static const struct store_vcs git_vcs = {
	recover_worktree, git_commit_step, git_committed, git_abort, merge_packs, git_head, git_free};

int store_open_git(struct store **out, const char *root, struct rerr *e)
{
	struct store *s = store_new(root);
	struct gitdata *g = xcalloc(1, sizeof *g);

	git_libgit2_init();
	s->tmpdir = xasprintf("%s/.git/rental-tmp", root);
	s->vcs = &git_vcs;
	s->vcs_data = g;
	*out = s;
	/* The commit point must survive power loss: fsync packs, indexes and refs. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/* Memory bounded by the batch, not the history: libgit2 would map up to 8 GB of
	 * packs in 1 GB windows and cache 256 MB of objects. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)1 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)4 << 20);
	/* libgit2 hashes every object it reads again, to check it (git does not): a tenth
	 * of a batch's CPU, on the base trees and on the batch's own objects as its pack is
	 * written. A damaged entry still fails: its zlib stream has a checksum. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (open_repo(s, e) < 0 || store_load_layout(s, e) < 0)
		goto fail;
	return 0;
fail:
	store_free(s);
	*out = NULL;
	return -1;
}
