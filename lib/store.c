/* store: overlay in memory, git commit through libgit2's mempack, work tree after.
 *
 * Crash safety: the work tree is only written after the commit and the branch are
 * durable; .git/rental-worktree then records which commit the files show. On open, if
 * that marker is not the branch head, the files that changed between the two commits
 * are written again from git, so a crash at any step leaves nothing half done. */
#include "store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <git2.h>
#include <git2/sys/mempack.h>

struct entry {
	char *path;
	char *data;
	size_t len;
	int state; /* ENT_ABSENT: not in the overlay; ENT_PUT; ENT_DEL */
};
enum { ENT_ABSENT, ENT_PUT, ENT_DEL };

struct undo {
	size_t ent;
	int state;
	char *data;
	size_t len;
};

struct store {
	char *root;
	int git;
	git_repository *repo;
	git_odb_backend *mempack;
	int lockfd;
	struct entry *ents;
	size_t n, cap;
	size_t *slots; /* open addressing: index+1 into ents, 0 empty */
	size_t nslots;
	struct undo *undo;
	size_t nundo, capundo;
	int in_txn;
};

static int git_fail(struct rerr *e, const char *what)
{
	const git_error *g = git_error_last();

	return rerr_set(e, RX_IO, "state: %s: %s", what, g && g->message ? g->message : "libgit2 error");
}

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
	s->ents[s->n] = (struct entry){xstrdup(path), NULL, 0, ENT_ABSENT};
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
	full = xasprintf("%s/%s", s->root, path);
	rc = fs_read(full, 1 << 24, buf, len, e);
	free(full);
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

int store_init_repo(const char *root, struct rerr *e)
{
	git_repository *repo = NULL;
	git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	int rc = 0;

	git_libgit2_init();
	o.flags = GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	if (git_repository_init_ext(&repo, root, &o) < 0)
		rc = git_fail(e, root);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

static char *marker_path(struct store *s)
{
	return xasprintf("%s/.git/rental-worktree", s->root);
}

static int head_oid(struct store *s, git_oid *oid)
{
	return git_reference_name_to_id(oid, s->repo, "HEAD") == 0;
}

static int write_marker(struct store *s, const git_oid *oid, struct rerr *e)
{
	char hex[GIT_OID_HEXSZ + 2];
	char *p = marker_path(s);
	int rc;

	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, oid);
	strcat(hex, "\n");
	rc = fs_write_atomic(p, hex, strlen(hex), 1, e);
	free(p);
	return rc;
}

/* Writes one file of a commit's tree into the work tree. */
static int checkout_file(struct store *s, const git_oid *blob_id, const char *path, struct rerr *e)
{
	git_blob *blob;
	char *full = xasprintf("%s/%s", s->root, path);
	int rc;

	if (git_blob_lookup(&blob, s->repo, blob_id) < 0) {
		free(full);
		return git_fail(e, path);
	}
	rc = fs_write_atomic(full, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), 0, e);
	git_blob_free(blob);
	free(full);
	return rc;
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

static int reset_index(struct store *s, git_tree *tree, struct rerr *e);

/* Brings the work tree from the commit in the marker to the branch head. */
static int recover_worktree(struct store *s, struct rerr *e)
{
	git_oid head, mark;
	git_commit *hc = NULL, *mc = NULL;
	git_tree *ht = NULL, *mt = NULL;
	git_diff *diff = NULL;
	char *p = marker_path(s), *buf = NULL;
	int rc = -1;

	if (!head_oid(s, &head)) {
		free(p);
		return 0; /* no commit yet: nothing to bring back */
	}
	if (fs_read(p, 100, &buf, NULL, NULL) == 0 && git_oid_fromstrn(&mark, buf, GIT_OID_HEXSZ) == 0 &&
	    git_oid_equal(&mark, &head)) {
		rc = 0;
		goto out;
	}
	if (buf && git_oid_fromstrn(&mark, buf, GIT_OID_HEXSZ) == 0 &&
	    git_commit_lookup(&mc, s->repo, &mark) == 0 && git_commit_tree(&mt, mc) < 0) {
		git_fail(e, "marker commit");
		goto out;
	}
	if (git_commit_lookup(&hc, s->repo, &head) < 0 || git_commit_tree(&ht, hc) < 0 ||
	    git_diff_tree_to_tree(&diff, s->repo, mt, ht, NULL) < 0) {
		git_fail(e, "recovery diff");
		goto out;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (d->status == GIT_DELTA_DELETED) {
			char *full = xasprintf("%s/%s", s->root, d->old_file.path);
			int r = fs_unlink(full, e);
			free(full);
			if (r < 0)
				goto out;
		} else if (checkout_file(s, &d->new_file.id, d->new_file.path, e) < 0) {
			goto out;
		}
	}
	if (reset_index(s, ht, e) < 0 || sync_root(s, e) < 0 || write_marker(s, &head, e) < 0)
		goto out;
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(ht);
	git_tree_free(mt);
	git_commit_free(hc);
	git_commit_free(mc);
	free(buf);
	free(p);
	return rc;
}

int store_open(struct store **out, const char *root, int git, struct rerr *e)
{
	struct store *s = xcalloc(1, sizeof *s);
	git_odb *odb = NULL;

	s->root = xstrdup(root);
	s->git = git;
	s->lockfd = -1;
	*out = s;
	if (!git)
		return 0;
	git_libgit2_init();
	/* The commit point must survive power loss: fsync packs, indexes and refs. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (git_repository_open_ext(&s->repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		git_fail(e, root);
		goto fail;
	}
	if (git_repository_odb(&odb, s->repo) < 0 || git_mempack_new(&s->mempack) < 0 ||
	    git_odb_add_backend(odb, s->mempack, 999) < 0) {
		git_fail(e, "odb");
		git_odb_free(odb);
		goto fail;
	}
	git_odb_free(odb);
	return 0;
fail:
	store_free(s);
	*out = NULL;
	return -1;
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
	if (rc == 0 && s->git)
		rc = recover_worktree(s, e);
	return rc;
}

static void clear_overlay(struct store *s)
{
	store_end(s);
	for (size_t i = 0; i < s->n; i++) {
		free(s->ents[i].path);
		free(s->ents[i].data);
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
	if (s->repo) {
		git_repository_free(s->repo);
		git_libgit2_shutdown();
	}
	free(s->root);
	free(s);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->path, (*(struct entry *const *)b)->path);
}

/* The new tree for the folder at ents[0..n) (paths sharing the first off bytes),
 * starting from base (NULL if the folder is new). *empty says it has no entries. */
static int build_tree(struct store *s, const git_tree *base, struct entry **ents, size_t n,
		      size_t off, git_oid *out, int *empty, struct rerr *e)
{
	git_treebuilder *tb = NULL;
	int rc = -1;

	if (git_treebuilder_new(&tb, s->repo, base) < 0)
		return git_fail(e, "treebuilder");
	for (size_t i = 0; i < n;) {
		const char *name = ents[i]->path + off;
		const char *slash = strchr(name, '/');
		if (slash == NULL) {
			git_oid blob;
			if (ents[i]->state == ENT_DEL) {
				if (git_treebuilder_get(tb, name) && git_treebuilder_remove(tb, name) < 0)
					goto fail;
			} else if (git_blob_create_from_buffer(&blob, s->repo, ents[i]->data, ents[i]->len) < 0 ||
				   git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB) < 0) {
				goto fail;
			}
			i++;
			continue;
		}
		size_t clen = (size_t)(slash - name), j = i;
		while (j < n && strncmp(ents[j]->path + off, name, clen + 1) == 0)
			j++;
		char *dir = xasprintf("%.*s", (int)clen, name);
		const git_tree_entry *te = git_treebuilder_get(tb, dir);
		git_tree *sub = NULL;
		git_oid sub_oid;
		int sub_empty;
		if (te && git_tree_entry_type(te) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, s->repo, git_tree_entry_id(te)) < 0) {
			free(dir);
			goto fail;
		}
		int r = build_tree(s, sub, ents + i, j - i, off + clen + 1, &sub_oid, &sub_empty, e);
		git_tree_free(sub);
		if (r == 0) {
			if (sub_empty)
				r = git_treebuilder_get(tb, dir) ? git_treebuilder_remove(tb, dir) : 0;
			else
				r = git_treebuilder_insert(NULL, tb, dir, &sub_oid, GIT_FILEMODE_TREE);
			if (r < 0)
				git_fail(e, dir);
		}
		free(dir);
		if (r < 0) {
			git_treebuilder_free(tb);
			return -1;
		}
		i = j;
	}
	*empty = git_treebuilder_entrycount(tb) == 0;
	if (git_treebuilder_write(out, tb) < 0)
		goto fail;
	rc = 0;
	git_treebuilder_free(tb);
	return rc;
fail:
	git_treebuilder_free(tb);
	return git_fail(e, "tree");
}

/* Writes every object in the mempack as one pack with its index, durably. */
static int write_pack(struct store *s, struct rerr *e)
{
	git_buf pack = GIT_BUF_INIT;
	git_indexer *idx = NULL;
	git_indexer_progress st = {0};
	git_odb *odb = NULL;
	char *dir = xasprintf("%s/objects/pack", git_repository_path(s->repo));
	int rc = -1;

	if (git_mempack_dump(&pack, s->repo, s->mempack) < 0 ||
	    git_repository_odb(&odb, s->repo) < 0 ||
	    git_indexer_new(&idx, dir, 0, odb, NULL) < 0 ||
	    git_indexer_append(idx, pack.ptr, pack.size, &st) < 0 ||
	    git_indexer_commit(idx, &st) < 0) {
		git_fail(e, "pack");
		goto out;
	}
	if (fs_fsync_dir(dir, e) < 0)
		goto out;
	git_mempack_reset(s->mempack);
	git_odb_refresh(odb);
	rc = 0;
out:
	git_indexer_free(idx);
	git_odb_free(odb);
	git_buf_dispose(&pack);
	free(dir);
	return rc;
}

static int commit_git(struct store *s, struct entry **ents, size_t n, const char *msg,
		      git_oid *coid, struct rerr *e)
{
	git_oid head, tree_oid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	int has_head = head_oid(s, &head), empty, rc = -1;

	if (has_head && (git_commit_lookup(&parent, s->repo, &head) < 0 ||
			 git_commit_tree(&base, parent) < 0)) {
		git_fail(e, "HEAD");
		goto out;
	}
	if (build_tree(s, base, ents, n, 0, &tree_oid, &empty, e) < 0)
		goto out;
	if (git_tree_lookup(&tree, s->repo, &tree_oid) < 0 ||
	    git_signature_now(&sig, "rental dispatcher", "dispatcher@rental.invalid") < 0 ||
	    git_commit_create(coid, s->repo, NULL, sig, sig, NULL, msg, tree, has_head ? 1 : 0,
			      (const git_commit **)&parent) < 0) {
		git_fail(e, "commit");
		goto out;
	}
	if (write_pack(s, e) < 0)
		goto out;
	crash_point("objects");
	if (git_reference_create(&ref, s->repo, "refs/heads/main", coid, 1, NULL) < 0) {
		git_fail(e, "refs/heads/main");
		goto out;
	}
	rc = 0;
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	return rc;
}

static int write_files(struct store *s, struct entry **ents, size_t n, struct rerr *e)
{
	for (size_t i = 0; i < n; i++) {
		char *full = xasprintf("%s/%s", s->root, ents[i]->path);
		int rc = ents[i]->state == ENT_DEL ? fs_unlink(full, e)
			: fs_write_atomic(full, ents[i]->data, ents[i]->len, 0, e);
		free(full);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Keeps .git/index in step, so that `git status` in state/ shows a clean tree. Only
 * the changed paths are touched; reading and writing the index file still costs its
 * size (see bench/README.md). */
static int update_index(struct store *s, struct entry **ents, size_t n, struct rerr *e)
{
	git_index *idx = NULL;
	int rc = -1;

	if (git_repository_index(&idx, s->repo) < 0 || git_index_read(idx, 0) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int r = ents[i]->state == ENT_DEL ? git_index_remove_bypath(idx, ents[i]->path)
			: git_index_add_bypath(idx, ents[i]->path);
		if (r < 0)
			goto out;
	}
	if (git_index_write(idx) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		git_fail(e, "index");
	git_index_free(idx);
	return rc;
}

/* After a recovery the index is set to the head's tree as a whole. */
static int reset_index(struct store *s, git_tree *tree, struct rerr *e)
{
	git_index *idx = NULL;
	int rc = 0;

	if (git_repository_index(&idx, s->repo) < 0 || git_index_read_tree(idx, tree) < 0 ||
	    git_index_write(idx) < 0)
		rc = git_fail(e, "index");
	git_index_free(idx);
	return rc;
}

int store_commit(struct store *s, const char *msg, struct rerr *e)
{
	struct entry **ents;
	size_t n = 0;
	git_oid coid;
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
	if (s->git && commit_git(s, ents, n, msg, &coid, e) < 0)
		goto out;
	crash_point("commit");
	if (write_files(s, ents, n, e) < 0)
		goto out;
	crash_point("files");
	if (s->git && update_index(s, ents, n, e) < 0)
		goto out;
	if (s->git && (sync_root(s, e) < 0 || write_marker(s, &coid, e) < 0))
		goto out;
	rc = 0;
out:
	if (rc < 0 && s->mempack)
		git_mempack_reset(s->mempack);
	free(ents);
	clear_overlay(s);
	return rc;
}

void store_head(struct store *s, char out[41])
{
	git_oid oid;

	out[0] = '\0';
	if (s->repo && head_oid(s, &oid))
		git_oid_tostr(out, 41, &oid);
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
