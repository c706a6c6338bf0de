/* Unit tests of the git-backed store: one pack per commit, work tree after commit,
 * recovery of a half-written work tree, roll back of one event's changes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <stdatomic.h>
#include <pthread.h>
#include "store.h"
#include "gitpack.h"

static char dir[64];

static int setup(void **state)
{
	struct rerr e = {0};

	strcpy(dir, "/tmp/rental-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_init_repo(dir, &e), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static char *file(const char *rel)
{
	char *p, *buf = NULL;
	size_t len;

	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	if (fs_read(p, 1 << 20, &buf, &len, NULL) != 0)
		buf = NULL;
	free(p);
	return buf;
}

/* The file rel of the work tree holds want. */
static void assert_file(const char *rel, const char *want)
{
	char *b = file(rel);

	assert_non_null(b);
	assert_string_equal(b, want);
	free(b);
}

static int sh(const char *fmt)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, fmt, dir, dir);
	return system(cmd);
}

/* The test's store, opened with git and locked, as the dispatcher has it. */
static struct store *open_locked(void)
{
	struct store *s;
	struct rerr e = {0};

	assert_int_equal(store_open_git(&s, dir, &e), 0);
	assert_int_equal(store_lock(s, 0, &e), 0);
	return s;
}

static void commit_writes_one_pack_and_the_files(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char *b;

	s = open_locked();
	store_put(s, "a/b/c.yaml", "x: 1\n", 5);
	store_put(s, "a/d.yaml", "y: 2\n", 5);
	assert_null(file("a/b/c.yaml")); /* nothing on disk before the commit */
	assert_int_equal(store_commit(s, "one", &e), 0);
	assert_string_equal(b = file("a/b/c.yaml"), "x: 1\n");
	free(b);
	store_put(s, "a/b/c.yaml", "x: 3\n", 5);
	store_del(s, "a/d.yaml");
	assert_int_equal(store_commit(s, "two", &e), 0);
	assert_null(file("a/d.yaml"));
	assert_int_equal(sh("test $(ls %s/.git/objects/pack/*.pack | wc -l) = 2 || ls -l %s/.git/objects/pack"), 0);
	assert_int_equal(store_maintain(s, &e), 0); /* two packs of a size merge */
	store_free(s);
	/* git agrees: the commit holds what the files hold, objects are in packs only. */
	assert_int_equal(sh("test \"$(git -C %s show HEAD:a/b/c.yaml)\" = 'x: 3' && "
			    "test -z \"$(git -C %s ls-tree -r HEAD --name-only | grep d.yaml)\""), 0);
	assert_int_equal(sh("test $(find %s/.git/objects -type f -path '*/objects/[0-9a-f][0-9a-f]/*' | wc -l) = 0 && "
			    "test $(ls %s/.git/objects/pack/*.pack | wc -l) = 1"), 0); /* two merged */
	assert_int_equal(sh("git -C %s fsck --strict >/dev/null 2>&1 && git -C %s log --oneline | grep -q two"), 0);
}

/* A batch's pack held every object its commit reaches (the whole state) and blobs
 * already packed: the history grew by the size of the state at each batch. */
static void a_pack_holds_only_what_the_batch_made(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char path[64];

	s = open_locked();
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof path, "d%02d/f%03d", i % 30, i);
		store_put(s, path, path, strlen(path));
	}
	assert_int_equal(store_commit(s, "many", &e), 0);
	store_put(s, "d07/f007", "changed", 7);
	store_put(s, "d08/new", "d01/f001", 8); /* a blob the repository has already */
	assert_int_equal(store_commit(s, "one", &e), 0);
	store_free(s);
	/* The blobs "changed" and "d01/f001" (written again: asking every pack whether it
	 * has an object costs more than a copy, which a merge drops), trees d07, d08 and
	 * the root, the commit: 6 objects of the 300-odd the state holds. */
	assert_int_equal(sh("test $(git show-index < $(ls -t %s/.git/objects/pack/*.idx | head -n 1) | wc -l) = 6 "
			    "&& git -C %s fsck --strict >/dev/null 2>&1"), 0);
}

/* One pack a commit, never merged, made every lookup scan more packs (and hold more
 * files open) as the history grew. */
static void packs_merge_geometrically(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char path[64], data[64];

	s = open_locked();
	for (int i = 0; i < 64; i++) {
		snprintf(path, sizeof path, "c/%02d/f", i % 16);
		snprintf(data, sizeof data, "commit %d\n", i);
		store_put(s, path, data, strlen(data));
		assert_int_equal(store_commit(s, data, &e), 0);
		assert_int_equal(store_maintain(s, &e), 0);
	}
	store_free(s);
	/* 64 commits: at most log2(64) + 1 packs, and every commit still whole. */
	assert_int_equal(sh("test $(ls %s/.git/objects/pack/*.idx | wc -l) -le 7 && "
			    "git -C %s fsck --strict >/dev/null 2>&1"), 0);
	assert_int_equal(sh("test \"$(git -C %s show HEAD~63:c/00/f)\" = 'commit 0' && "
			    "git verify-pack %s/.git/objects/pack/*.idx"), 0);
	assert_int_equal(sh("test -z \"$(ls %s/.git/objects/pack | grep -v '^pack-')\" || ls %s"), 0);
}

/* Flips one byte in the middle of file path. */
static void damage(const char *path)
{
	FILE *f = fopen(path, "r+b");
	long mid;
	int c;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	mid = ftell(f) / 2;
	assert_int_equal(fseek(f, mid, SEEK_SET), 0);
	c = fgetc(f);
	assert_int_equal(fseek(f, mid, SEEK_SET), 0);
	fputc(c ^ 0x20, f);
	assert_int_equal(fclose(f), 0);
}

/* A damaged entry in an old pack fails the merge, which leaves the packs as they were
 * and nothing of its own behind (its index parts are unlinked temp files). */
static void a_damaged_pack_fails_the_merge_and_leaves_the_packs(void **state)
{
	struct store *s;
	struct rerr e = {0};
	struct gitpack_info *packs = NULL;
	size_t n = 0;
	git_odb *odb;
	char pd[128], *victim, name[46], big[4000];

	s = open_locked();
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\n';
	store_put(s, "a/f", "one\n", 4);
	assert_int_equal(store_commit(s, "one", &e), 0);
	store_put(s, "b/f", big, sizeof big);
	assert_int_equal(store_commit(s, "two", &e), 0);
	store_free(s);
	snprintf(pd, sizeof pd, "%s/.git/objects/pack", dir);
	assert_int_equal(gitpack_list(pd, &packs, &n, &e), 0);
	assert_int_equal(n, 2);
	/* The middle of the larger pack is inside the big blob's stored bytes. */
	assert_true(asprintf(&victim, "%s/%s.pack", pd, packs[1].name) > 0);
	damage(victim);
	assert_int_equal(sh("test $(ls %s/.git/objects/pack | wc -l) -eq 4 || ls %s"), 0);
	git_libgit2_init(); /* the store shut libgit2 down when it was freed */
	assert_int_equal(git_odb_open(&odb, strcat(strcpy(big, dir), "/.git/objects")), 0);
	assert_int_equal(gitpack_merge(odb, pd, packs, n, name, &e), -1);
	assert_non_null(strstr(e.msg, "unreadable"));
	assert_int_equal(sh("test $(ls %s/.git/objects/pack | wc -l) -eq 4 || ls %s"), 0);
	git_odb_free(odb);
	git_libgit2_shutdown();
	free(victim);
	free(packs);
}

static size_t geo(const size_t *sizes, size_t n, size_t max)
{
	struct gitpack_info p[16];

	for (size_t i = 0; i < n; i++)
		p[i].objects = sizes[i];
	return gitpack_geometric(p, n, max);
}

/* Compares every object the pack reader can read in repository dir with libgit2's
 * copy; returns how many it read, and in *deltas how many it left to libgit2. */
static size_t read_all_through_reader(size_t *deltas)
{
	char pd[128], objs[128], line[256];
	struct gitpack_reader *r;
	struct rerr e = {0};
	git_odb *odb;
	size_t ok = 0;
	FILE *f;

	*deltas = 0;
	snprintf(pd, sizeof pd, "%s/.git/objects/pack", dir);
	snprintf(objs, sizeof objs, "%s/.git/objects", dir);
	snprintf(line, sizeof line, "git -C %s cat-file --batch-all-objects --batch-check='%%(objectname)'", dir);
	git_libgit2_init();
	assert_int_equal(git_odb_open(&odb, objs), 0);
	assert_int_equal(gitpack_reader_open(&r, pd, 64 << 10, &e), 0);
	assert_non_null(f = popen(line, "r"));
	while (fgets(line, sizeof line, f)) {
		git_oid id;
		git_odb_object *o;
		git_object_t type;
		unsigned char *data;
		size_t size;
		assert_int_equal(git_oid_fromstrn(&id, line, 40), 0);
		int rc = gitpack_reader_read(r, &id, &type, &data, &size);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			++*deltas;
			continue;
		}
		assert_int_equal(git_odb_read(&o, odb, &id), 0);
		assert_int_equal(type, git_odb_object_type(o));
		assert_int_equal(size, git_odb_object_size(o));
		assert_memory_equal(data, git_odb_object_data(o), size);
		git_odb_object_free(o);
		free(data);
		ok++;
	}
	pclose(f);
	/* An id no pack has. */
	git_oid none;
	git_object_t t;
	unsigned char *d;
	size_t z;
	memset(&none, 0xab, sizeof none);
	assert_int_equal(gitpack_reader_read(r, &none, &t, &d, &z), 1);
	gitpack_reader_free(r);
	git_odb_free(odb);
	git_libgit2_shutdown();
	return ok;
}

/* ---- finding an id in a large pack ---- */

#define BIG_IDS (512 * 1024) /* 2,048 ids a first byte: ten pages of the index each */

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* Makes folder name in the test's directory for packs of its own; its path in pd. */
static void new_pack_dir(char *pd, size_t size, const char *name)
{
	snprintf(pd, size, "%s/%s", dir, name);
	assert_int_equal(mkdir(pd, 0755), 0);
}

/* Writes pack dir/pack-NO (40 digits).{idx,pack}: n random ids (into ids, sorted),
 * each a blob "x" (the reader does not hash what it reads, so one blob serves them all). */
static void write_pack_of(const char *pd, unsigned char *ids, size_t n, int no)
{
	static const unsigned char blob[] = {0x31, 0x78, 0x9c, 0xab, 0x00, 0x00, 0x00, 0x79, 0x00, 0x79};
	unsigned char head[8 + 1024] = "\377tOc\0\0\0\2", four[4];
	uint32_t fan[256] = {0};
	char path[256];
	FILE *f;

	for (size_t i = 0; i < n * 20; i++)
		ids[i] = (unsigned char)(random() >> 7);
	qsort(ids, n, 20, id_cmp);
	for (size_t i = 0; i < n; i++)
		for (int b = ids[i * 20]; b < 256; b++)
			fan[b]++;
	for (int b = 0; b < 256; b++)
		put_be32(head + 8 + 4 * b, fan[b]);
	snprintf(path, sizeof path, "%s/pack-%040d.idx", pd, no);
	assert_non_null(f = fopen(path, "w"));
	fwrite(head, 1, sizeof head, f);
	fwrite(ids, 20, n, f);
	memset(four, 0, 4);
	for (size_t i = 0; i < n; i++)
		fwrite(four, 1, 4, f); /* CRCs: not read */
	for (size_t i = 0; i < n; i++) {
		put_be32(four, (uint32_t)(12 + i * sizeof blob));
		fwrite(four, 1, 4, f);
	}
	fclose(f);
	snprintf(path, sizeof path, "%s/pack-%040d.pack", pd, no);
	assert_non_null(f = fopen(path, "w"));
	fwrite("PACK\0\0\0\2", 1, 8, f);
	put_be32(four, (uint32_t)n);
	fwrite(four, 1, 4, f);
	for (size_t i = 0; i < n; i++)
		fwrite(blob, 1, sizeof blob, f);
	fwrite(head, 1, 20, f); /* the trailer: not read */
	fclose(f);
}

/* Looks up ids[at] (or, if miss, a neighbour of it: the hardest miss) and checks the
 * answer; returns the pages that cost. */
static size_t pages_for_one(struct gitpack_reader *r, const unsigned char *ids, size_t at, int miss)
{
	size_t before = gitpack_reader_preads(r), size;
	git_object_t type;
	unsigned char *data;
	git_oid id;

	memcpy(id.id, ids + at * 20, 20);
	id.id[19] ^= (unsigned char)miss;
	assert_int_equal(gitpack_reader_read(r, &id, &type, &data, &size), miss ? 1 : 0);
	if (!miss) {
		assert_int_equal(type, GIT_OBJECT_BLOB);
		assert_int_equal(size, 1);
		assert_int_equal(data[0], 'x');
		free(data);
	}
	return gitpack_reader_preads(r) - before;
}

/* Pages read for 1,000 look-ups of random ids of the pack, or of their neighbours. */
static size_t pages_for_lookups(struct gitpack_reader *r, const unsigned char *ids, int miss)
{
	size_t pages = 0;

	for (size_t k = 0; k < 1000; k++)
		pages += pages_for_one(r, ids, (size_t)random() % BIG_IDS, miss);
	return pages;
}

/* Finding an id reads a page or two of a large pack's index, not a bisection's
 * five or six (the pages of a pack dropped from memory are each a wait on the disk). */
static void finding_an_id_reads_few_pages_of_the_index(void **state)
{
	unsigned char *ids = malloc((size_t)BIG_IDS * 20);
	struct gitpack_reader *r;
	struct rerr e = {0};
	char pd[128];

	assert_non_null(ids);
	srandom(4);
	new_pack_dir(pd, sizeof pd, "big");
	write_pack_of(pd, ids, BIG_IDS, 0);
	assert_int_equal(gitpack_reader_open(&r, pd, 64 << 10, &e), 0); /* 15 pages of 2,600: little reuse */
	/* Each: its id's page (now and then the next), its offset's, the pack's; a
	 * bisection reads 5,400 pages for these, 3,300 without a probe's page edges. */
	size_t found = pages_for_lookups(r, ids, 0);
	assert_true(found <= 3400);
	size_t missed = pages_for_lookups(r, ids, 1);
	assert_true(missed <= 1400); /* 1,800 without the page edges */
	print_message("index pages: %zu for 1000 ids found, %zu for 1000 missed\n", found, missed);
	gitpack_reader_free(r);
	free(ids);
}

/* A batch reads trees of the last batches' small packs and of the large old ones by
 * turns: an object of a small pack is found without a page of a large pack's index
 * (a miss there is a wait on the disk once it is paged out; the small packs' pages are
 * few and in memory). Trying the largest pack first, or the last pack an object came
 * from, read a large index page for most of them: in the 1.5M-event home a batch's
 * reader read 11,500-12,300 pages that way, 7,500-8,300 smallest first. */
static void objects_of_small_packs_cost_no_page_of_a_large_one(void **state)
{
	enum { LARGE = 64 * 1024, SMALL = 64 };
	unsigned char *large = malloc((size_t)LARGE * 20), small[SMALL * 20];
	struct gitpack_reader *r;
	struct rerr e = {0};
	size_t pages = 0;
	char pd[128];

	assert_non_null(large);
	srandom(5);
	new_pack_dir(pd, sizeof pd, "two");
	write_pack_of(pd, large, LARGE, 0);
	write_pack_of(pd, small, SMALL, 1);
	assert_int_equal(gitpack_reader_open(&r, pd, 64 << 10, &e), 0);
	for (size_t k = 0; k < SMALL; k++)
		pages_for_one(r, small, k, 0); /* the small pack's few pages */
	for (size_t k = 0; k < 500; k++) {
		pages_for_one(r, large, (size_t)random() % LARGE, 0);
		pages += pages_for_one(r, small, (size_t)random() % SMALL, 0);
	}
	print_message("pages for 500 objects of the small pack: %zu\n", pages);
	/* Its two pages (index, pack), now and then pushed out of the 16-slot cache by a
	 * large pack's three: 131 here; 768 when the large pack was tried first. */
	assert_true(pages <= 300);
	gitpack_reader_free(r);
	free(large);
}

/* The pack reader gives what libgit2 gives, from our packs and from git's (whose
 * deltas it leaves to libgit2), through a cache much smaller than the packs. */
static void pack_reader_reads_what_libgit2_reads(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char path[64], data[2048];
	size_t deltas, n;

	s = open_locked();
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "c/%02d/f", i % 8);
		memset(data, 'a' + i % 26, sizeof data);
		snprintf(data, sizeof data, "version %d of a file that changes a little\n", i);
		data[sizeof data - 1] = '\n';
		store_put(s, path, data, sizeof data);
		assert_int_equal(store_commit(s, "c", &e), 0);
		if (i % 10 == 9)
			assert_int_equal(store_maintain(s, &e), 0);
	}
	store_free(s);
	n = read_all_through_reader(&deltas);
	assert_true(n > 100);
	assert_int_equal(deltas, 0);
	/* git's own repack makes deltas: those are left to libgit2, the rest read here. */
	assert_int_equal(sh("git -C %s repack -a -d -f --window=50 -q && test $(ls %s/.git/objects/pack/*.idx | wc -l) -eq 1"), 0);
	n = read_all_through_reader(&deltas);
	assert_true(n > 0);
	assert_true(deltas > 0);
}

/* The walkers read, for each changed file, the trees from the root down to its folder
 * that they do not hold from the path before, and stop at a folder the history lacks. */
static void walkers_read_the_trees_on_the_changed_paths(void **state)
{
	struct store *s;
	struct rerr e = {0};
	struct gitpack_reader *r;
	char pd[128], path[32], head[41] = "";
	const char *paths[16];
	git_oid commit, root;
	git_repository *repo;
	git_commit *c;

	s = open_locked();
	for (int i = 1; i <= 12; i++) {
		snprintf(path, sizeof path, "a/%02d/f", i);
		store_put(s, path, "x\n", 2);
	}
	store_put(s, "b", "y\n", 2);
	assert_int_equal(store_commit(s, "base", &e), 0);
	store_head(s, head);
	store_free(s);
	git_libgit2_init();
	assert_int_equal(git_oid_fromstr(&commit, head), 0);
	assert_int_equal(git_repository_open(&repo, dir), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &commit), 0);
	git_oid_cpy(&root, git_commit_tree_id(c));
	snprintf(pd, sizeof pd, "%s/.git/objects/pack", dir);
	assert_int_equal(gitpack_reader_open(&r, pd, 64 << 10, &e), 0);
	static char names[12][16];
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "a/%02d/g", i + 1);
		paths[i] = names[i];
	}
	paths[12] = "c/n/x1"; /* a new folder, its paths one after the other */
	paths[13] = "c/n/x2";
	paths[14] = "c/n/x3";
	paths[15] = "c/n/x4";
	/* One walker's run of 16 paths: the root and a once, each a/NN, nothing under c. */
	assert_int_equal(gitpack_warm_wait(gitpack_warm_start(r, &root, paths, 16)), 1 + 1 + 12);
	/* The same paths, each twice in a row: the second reads nothing. */
	const char *twice[32];
	for (int i = 0; i < 16; i++)
		twice[2 * i] = twice[2 * i + 1] = paths[i];
	size_t got = gitpack_warm_wait(gitpack_warm_start(r, &root, twice, 32));
	assert_true(got >= 14 && got <= 28); /* one run or two, each reading its own root and a */
	assert_null(gitpack_warm_start(r, &root, paths, 15)); /* too few to start threads */
	assert_int_equal(gitpack_warm_stop(NULL), 0);
	gitpack_reader_free(r);
	git_commit_free(c);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

/* Look-ups ahead: every path once on their own threads, none for a handful, and the
 * commit stops them (no thread or path outlives the batch). */
static void look_ups_run_ahead_until_the_batch_ends(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char p[32];

	s = open_locked();
	store_put(s, "a/b", "x\n", 2);
	assert_int_equal(store_commit(s, "base", &e), 0);
	char **paths = xcalloc(40, sizeof *paths);
	for (int i = 0; i < 40; i++) {
		snprintf(p, sizeof p, i % 2 ? "a/b" : "a/%d/none", i);
		paths[i] = xstrdup(p);
	}
	store_look_ahead(s, paths, 40);
	assert_int_equal(store_look_wait(s), 40);
	assert_int_equal(store_look_wait(s), 0); /* nothing left running */
	paths = xcalloc(3, sizeof *paths);
	for (int i = 0; i < 3; i++)
		paths[i] = xstrdup("a/b");
	store_look_ahead(s, paths, 3);
	assert_int_equal(store_look_wait(s), 0); /* too few for threads */
	paths = xcalloc(10000, sizeof *paths);
	for (int i = 0; i < 10000; i++) {
		snprintf(p, sizeof p, "a/%d/none", i);
		paths[i] = xstrdup(p);
	}
	store_look_ahead(s, paths, 10000);
	store_put(s, "a/c", "y\n", 2);
	assert_int_equal(store_commit(s, "next", &e), 0);
	assert_true(store_look_wait(s) == 0); /* the commit stopped and freed them */
	store_free(s);
}

/* Object ids as git gives them: the same as libgit2's, for every type and size. */
static void hash_is_gits(void **state)
{
	static char data[9000];
	const git_object_t types[] = {GIT_OBJECT_BLOB, GIT_OBJECT_TREE, GIT_OBJECT_COMMIT};
	git_oid a, b;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7 + i / 13);
	git_libgit2_init();
	for (size_t t = 0; t < 3; t++)
		for (size_t len = 0; len <= sizeof data; len += len < 70 ? 1 : 977) {
			gitpack_hash(&a, data, len, types[t]);
			assert_int_equal(git_odb_hash(&b, data, len, types[t]), 0);
			assert_true(git_oid_equal(&a, &b));
		}
	git_libgit2_shutdown();
}

static void geometric_choice(void **state)
{
	/* Smallest first. Each pack at least twice all smaller ones: nothing to do. */
	assert_int_equal(geo((size_t[]){1, 2, 6, 18}, 4, 100), 0);
	assert_int_equal(geo((size_t[]){5}, 1, 100), 0);
	/* Two of a size merge; the merge swallows the next if the progression breaks. */
	assert_int_equal(geo((size_t[]){10, 10, 1000}, 3, 10000), 2);
	assert_int_equal(geo((size_t[]){1, 1, 3, 100}, 4, 10000), 3);
	assert_int_equal(geo((size_t[]){3, 5, 7, 9}, 4, 10000), 4);
	/* Never a pack above max: the largest stay out of the merge. */
	assert_int_equal(geo((size_t[]){3, 5, 7, 9}, 4, 15), 3);
	assert_true(geo((size_t[]){600, 700}, 2, 1000) < 2);
	/* The store's bound: at a million events the history is not rewritten whole. */
	assert_int_equal(geo((size_t[]){1200000, 1500000, 3800000}, 3, SIZE_MAX), 3);
	assert_true(geo((size_t[]){1200000, 1500000, 3800000}, 3, GITPACK_MERGE_MAX) < 2);
	assert_int_equal(geo((size_t[]){7000, 7000, 1200000, 3800000}, 4, GITPACK_MERGE_MAX), 2);
	/* With the largest left out, the rest follow the rule again: a batch's pack is not
	 * merged into one of 1.93M (which holds far more than twice it) every batch, an
	 * 820 MB rewrite each time until that pack passes the bound. */
	assert_true(geo((size_t[]){7000, 1930000, 3800000}, 3, GITPACK_MERGE_MAX) < 2);
	assert_int_equal(geo((size_t[]){7000, 7000, 1930000, 3800000}, 4, GITPACK_MERGE_MAX), 2);
}

static char *got(struct store *s, const char *path)
{
	struct rerr e = {0};
	char *b = NULL;

	assert_int_equal(store_get(s, path, &b, NULL, &e), 0);
	return b;
}

/* A file is read from disk once a batch: the files change only by the batch's commit
 * and by recovery, which forget what was read. (Here a file changed behind the store's
 * back shows when it is read again.) */
static void a_file_is_read_once_a_batch(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char *b;

	s = open_locked();
	store_put(s, "car", "rate: 1\n", 8);
	assert_int_equal(store_commit(s, "base", &e), 0);
	assert_string_equal(b = got(s, "car"), "rate: 1\n");
	free(b);
	assert_int_equal(sh("printf 'rate: 2\\n' > %s/car"), 0);
	assert_string_equal(b = got(s, "car"), "rate: 1\n"); /* read before, in this batch */
	free(b);
	store_put(s, "other", "x\n", 2);
	assert_int_equal(store_commit(s, "next", &e), 0);
	assert_string_equal(b = got(s, "car"), "rate: 2\n"); /* the commit forgot it */
	free(b);
	assert_int_equal(sh("printf 'rate: 3\\n' > %s/car"), 0);
	assert_int_equal(store_recover(s, &e), 0);
	assert_string_equal(b = got(s, "car"), "rate: 3\n"); /* and so did recovery */
	free(b);
	store_put(s, "car", "rate: 4\n", 8); /* the batch's own change comes first */
	assert_string_equal(b = got(s, "car"), "rate: 4\n");
	free(b);
	store_discard(s);
	assert_string_equal(b = got(s, "car"), "rate: 3\n");
	free(b);
	store_free(s);
}

static void rollback_takes_back_one_unit(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char *b;
	size_t len;

	assert_int_equal(store_open(&s, dir, &e), 0);
	store_put(s, "k", "1", 1);
	store_begin(s);
	store_put(s, "k", "2", 1);
	store_put(s, "new", "n", 1);
	store_del(s, "k");
	store_rollback(s);
	assert_int_equal(store_get(s, "k", &b, &len, &e), 0);
	assert_string_equal(b, "1");
	free(b);
	assert_int_equal(store_get(s, "new", &b, &len, &e), 1);
	assert_int_equal(store_changes(s), 1);
	store_free(s);
}

static void open_finishes_a_half_written_work_tree(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char *b;

	s = open_locked();
	store_put(s, "x/1", "one\n", 4);
	store_put(s, "x/2", "two\n", 4);
	assert_int_equal(store_commit(s, "c1", &e), 0);
	store_put(s, "x/1", "ONE\n", 4);
	store_del(s, "x/2");
	store_put(s, "x/3", "three\n", 6);
	assert_int_equal(store_commit(s, "c2", &e), 0);
	store_free(s);
	/* As if the crash came after the commit, before the files and the marker. */
	assert_int_equal(sh("printf 'one\\n' > %s/x/1 && printf 'two\\n' > %s/x/2"), 0);
	assert_int_equal(sh("rm %s/x/3 && git -C %s rev-parse HEAD~1 > /dev/null"), 0);
	assert_int_equal(sh("git -C %s rev-parse HEAD~1 > %s/.git/rental-worktree"), 0);
	s = open_locked();
	store_free(s);
	assert_string_equal(b = file("x/1"), "ONE\n");
	free(b);
	assert_null(file("x/2"));
	assert_string_equal(b = file("x/3"), "three\n");
	free(b);
}

static void second_lock_is_busy(void **state)
{
	struct store *a, *b;
	struct rerr e = {0};

	assert_int_equal(store_open_git(&a, dir, &e), 0);
	assert_int_equal(store_open_git(&b, dir, &e), 0);
	assert_int_equal(store_lock(a, 0, &e), 0);
	assert_int_equal(store_lock(b, 0, &e), -1);
	assert_int_equal(e.code, RX_TEMP);
	store_free(a);
	store_free(b);
}

/* ---- par: a loop on two cores ---- */

struct par_probe {
	atomic_int done[5000];
	atomic_int helper[5000]; /* done by the helper, not the caller */
	pthread_t who[2];
	atomic_int by[2];
	size_t fail_at;
};

static int probe_item(void *ctx, size_t i, struct rerr *e)
{
	struct par_probe *p = ctx;

	if (i == p->fail_at)
		return rerr_set(e, RX_IO, "item %zu failed", i);
	int by_helper = !pthread_equal(pthread_self(), p->who[0]);
	atomic_fetch_add(&p->done[i], 1);
	atomic_store(&p->helper[i], by_helper);
	atomic_fetch_add(&p->by[by_helper], 1);
	usleep(20); /* long enough that the helper always gets chunks of its own */
	return 0;
}

/* Runs probe_item over n items, the one at fail_at failing, with the caller helping. */
static int run_probe(struct par_probe *p, size_t n, size_t fail_at, struct rerr *e)
{
	struct par par;

	p->who[0] = pthread_self();
	p->fail_at = fail_at;
	par_start(&par, n, probe_item, p);
	return par_finish(&par, 1, e);
}

static void par_does_each_item_once_on_two_threads(void **state)
{
	static struct par_probe p;
	struct rerr e = {0};

	assert_int_equal(run_probe(&p, 5000, (size_t)-1, &e), 0);
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(atomic_load(&p.done[i]), 1);
	assert_true(atomic_load(&p.by[0]) > 0 && atomic_load(&p.by[1]) > 0);
	assert_int_equal(atomic_load(&p.by[0]) + atomic_load(&p.by[1]), 5000);
	/* The caller from the front, the helper from the back: they meet once. */
	size_t meet = (size_t)atomic_load(&p.by[0]);
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(atomic_load(&p.helper[i]), i >= meet);
}

static void par_stops_at_the_first_error(void **state)
{
	static struct par_probe p;
	struct rerr e = {0};
	size_t last_left = 4999;

	assert_int_equal(run_probe(&p, 5000, 1000, &e), -1);
	assert_string_equal(e.msg, "item 1000 failed");
	/* The caller did all before the failed item and none after it; the helper a run
	 * from the back, and took no chunk once it failed: the middle is left. */
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(atomic_load(&p.done[i]), 1);
	while (atomic_load(&p.done[last_left]))
		last_left--;
	assert_true(last_left > 1000 + 2 * 64);
	for (size_t i = 1000; i <= last_left; i++)
		assert_int_equal(atomic_load(&p.done[i]), 0);
}

static void par_stopped_takes_no_more(void **state)
{
	static struct par_probe p;
	struct par par;
	struct rerr e = {0};

	p.who[0] = pthread_self();
	p.fail_at = (size_t)-1;
	par_start(&par, 10, probe_item, &p); /* small: no helper, the caller's alone */
	par_stop(&par);
	assert_int_equal(par_finish(&par, 0, &e), -1);
	assert_string_equal(e.msg, ""); /* stopped, not failed: no error of its own */
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(atomic_load(&p.done[i]), 0);
}

/* A batch large enough that its files are made and named on two threads. */
static void a_large_commit_writes_every_file(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char path[64], data[64], *b;

	s = open_locked();
	for (int i = 0; i < 3000; i++) {
		snprintf(path, sizeof path, "d%02d/f%04d", i % 37, i);
		snprintf(data, sizeof data, "n: %d\n", i);
		store_put(s, path, data, strlen(data));
	}
	assert_int_equal(store_commit(s, "many", &e), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(path, sizeof path, "d%02d/f%04d", i % 37, i);
		if (i % 2)
			store_del(s, path);
		else
			store_put(s, path, "again\n", 6);
	}
	assert_int_equal(store_commit(s, "half", &e), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(path, sizeof path, "d%02d/f%04d", i % 37, i);
		b = file(path);
		if (i % 2)
			assert_null(b);
		else
			assert_string_equal(b, "again\n");
		free(b);
	}
	store_free(s);
	assert_int_equal(sh("test $(find %s -path '*/.git' -prune -o -type f -print | wc -l) = 1500 && "
			    "test $(git -C %s ls-tree -r HEAD --name-only | wc -l) = 1500"), 0);
}

/* ---- store_ahead: files made while the batch goes on ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Files in the store's temp folder: what the thread made ahead for files that exist. */
static int temp_files(void)
{
	char cmd[160];

	snprintf(cmd, sizeof cmd, "exit $(ls %s/.git/rental-tmp | wc -l)", dir);
	return WEXITSTATUS(system(cmd));
}

/* Waits (up to 5 s) until the thread has made files ahead: n descriptors open, each
 * an unnamed file. */
static int wait_fds(int n)
{
	for (int i = 0; i < 500; i++) {
		if (count_fds() >= n)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void files_made_ahead_are_linked_or_made_again(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char path[32], data[32];
	int fds;

	s = open_locked();
	store_put(s, "kept", "v1\n", 3);
	store_put(s, "changed", "v1\n", 3);
	assert_int_equal(store_commit(s, "base", &e), 0);
	fds = count_fds();
	/* Files are made ahead unnamed, each an open descriptor: the thread's work shows.
	 * Those that exist (kept, changed) are put in place by a rename. */
	store_put(s, "kept", "v2\n", 3);
	store_put(s, "changed", "v2\n", 3);
	for (int i = 0; i < 500; i++) {
		snprintf(path, sizeof path, "n/%02d/f%03d", i % 10, i);
		snprintf(data, sizeof data, "n: %d\n", i);
		store_put(s, path, data, strlen(data));
	}
	store_ahead(s);
	assert_true(wait_fds(fds + 2));
	/* After the hand-over: a change, a deletion, a unit rolled back, a new file. */
	store_put(s, "changed", "v3\n", 3);
	store_del(s, "n/00/f000");
	store_begin(s);
	store_put(s, "n/01/f001", "rolled back\n", 12);
	store_rollback(s);
	store_put(s, "late", "l\n", 2);
	store_ahead(s);
	store_put(s, "n/02/f002", "after the last hand-over\n", 25);
	assert_int_equal(store_commit(s, "batch", &e), 0);
	assert_file("kept", "v2\n");
	assert_file("changed", "v3\n");
	assert_null(file("n/00/f000"));
	assert_file("n/01/f001", "n: 1\n");
	assert_file("n/02/f002", "after the last hand-over\n");
	assert_file("n/09/f499", "n: 499\n");
	assert_file("late", "l\n");
	assert_int_equal(temp_files(), 0); /* the stale one is gone too */
	store_free(s);
	assert_int_equal(sh("cd %s && test \"$(git show HEAD:changed)\" = v3 && "
			    "test $(git -C %s ls-tree -r HEAD --name-only | wc -l) = 502"), 0);
}

static void a_discarded_batch_leaves_nothing_made_ahead(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char path[32];
	int fds;

	s = open_locked();
	store_put(s, "old", "1\n", 2);
	assert_int_equal(store_commit(s, "base", &e), 0);
	fds = count_fds();
	store_put(s, "old", "2\n", 2);
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof path, "d/f%03d", i);
		store_put(s, path, "x\n", 2);
	}
	store_ahead(s);
	assert_true(wait_fds(fds + 1));
	store_discard(s);
	assert_int_equal(temp_files(), 0);
	assert_null(file("d/f000"));
	assert_int_equal(count_fds(), fds); /* no unnamed file left open */
	store_free(s);
}

static struct stat stat_of(const char *rel)
{
	struct stat st;
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st;
}

static void new_empty_files_are_names_of_one_inode(void **state)
{
	struct store *s;
	struct rerr e = {0};
	struct stat a, b, c;

	s = open_locked();
	store_put(s, "idx/x/one", "", 0);
	store_put(s, "idx/y/two", "", 0);
	store_put(s, "full", "bytes\n", 6);
	store_ahead(s); /* made ahead or by the commit: the same inode either way */
	store_put(s, "idx/z/three", "", 0);
	assert_int_equal(store_commit(s, "empties", &e), 0);
	a = stat_of("idx/x/one"), b = stat_of("idx/y/two"), c = stat_of("idx/z/three");
	assert_true(a.st_ino == b.st_ino && b.st_ino == c.st_ino);
	assert_int_equal(a.st_nlink, 3);
	assert_int_equal(a.st_size, 0);
	assert_true(stat_of("full").st_ino != a.st_ino);
	/* Replacing or removing one name leaves the others as they were. */
	store_put(s, "idx/x/one", "now full\n", 9);
	store_del(s, "idx/y/two");
	store_put(s, "idx/w/four", "", 0); /* the next batch's empty inode is its own */
	assert_int_equal(store_commit(s, "changes", &e), 0);
	assert_file("idx/x/one", "now full\n");
	assert_null(file("idx/y/two"));
	assert_file("idx/z/three", "");
	assert_int_equal(stat_of("idx/z/three").st_nlink, 1);
	assert_true(stat_of("idx/w/four").st_ino != c.st_ino);
	store_free(s);
	assert_int_equal(sh("cd %s && test \"$(git show HEAD:idx/x/one)\" = 'now full' && "
			    "test $(git -C %s ls-tree -r HEAD --name-only | wc -l) = 4"), 0);
}

static void twins_are_second_names_or_files_of_their_own(void **state)
{
	struct store *s;
	struct rerr e = {0};

	s = open_locked();
	store_put(s, "old", "was here\n", 9);
	store_put(s, "kept", "on disk\n", 8);
	assert_int_equal(store_commit(s, "base", &e), 0);
	store_put(s, "log/1", "event\n", 6);
	store_put_twin(s, "ids/a/1", "event\n", 6, "log/1");
	store_ahead(s); /* a twin is never made ahead: it is its twin's file */
	store_put(s, "log/2", "changed after\n", 14);
	store_put_twin(s, "ids/b/2", "two\n", 4, "log/2");   /* other bytes: a file */
	store_put_twin(s, "ids/c/3", "none\n", 5, "log/3");  /* no such file: a file */
	store_put_twin(s, "old", "event\n", 6, "log/1");     /* there already: replaced */
	store_put_twin(s, "ids/g/7", "on disk\n", 8, "kept"); /* a file the batch leaves */
	store_put_twin(s, "ids/h/8", "not kept\n", 9, "kept"); /* ... with other bytes */
	store_begin(s);
	store_put_twin(s, "ids/d/4", "event\n", 6, "log/1");
	store_rollback(s); /* taken back: not made at all */
	assert_int_equal(store_commit(s, "twins", &e), 0);
	struct stat l1 = stat_of("log/1");
	assert_int_equal(stat_of("ids/a/1").st_ino, l1.st_ino);
	assert_int_equal(stat_of("old").st_ino, l1.st_ino);
	assert_int_equal(l1.st_nlink, 3);
	assert_int_equal(stat_of("ids/g/7").st_ino, stat_of("kept").st_ino);
	assert_file("ids/h/8", "not kept\n");
	assert_file("kept", "on disk\n");
	assert_int_equal(stat_of("kept").st_nlink, 2);
	assert_file("ids/b/2", "two\n");
	assert_int_equal(stat_of("ids/b/2").st_nlink, 1);
	assert_file("ids/c/3", "none\n");
	assert_file("old", "event\n");
	assert_null(file("ids/d/4"));
	assert_int_equal(temp_files(), 0);
	/* A twin whose twin is itself a twin is a file of its own (no chains to order). */
	store_put(s, "log/5", "five\n", 5);
	store_put_twin(s, "ids/e/5", "five\n", 5, "log/5");
	store_put_twin(s, "ids/f/5", "five\n", 5, "ids/e/5");
	assert_int_equal(store_commit(s, "chain", &e), 0);
	assert_int_equal(stat_of("ids/e/5").st_ino, stat_of("log/5").st_ino);
	assert_true(stat_of("ids/f/5").st_ino != stat_of("log/5").st_ino);
	assert_file("ids/f/5", "five\n");
	store_free(s);
	assert_int_equal(sh("cd %s && test \"$(git show HEAD:ids/a/1)\" = event && "
			    "test $(git rev-parse HEAD:ids/a/1) = $(git rev-parse HEAD:log/1)"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(commit_writes_one_pack_and_the_files, setup, teardown),
		cmocka_unit_test_setup_teardown(a_pack_holds_only_what_the_batch_made, setup, teardown),
		cmocka_unit_test_setup_teardown(packs_merge_geometrically, setup, teardown),
		cmocka_unit_test_setup_teardown(a_damaged_pack_fails_the_merge_and_leaves_the_packs, setup, teardown),
		cmocka_unit_test(geometric_choice),
		cmocka_unit_test(par_does_each_item_once_on_two_threads),
		cmocka_unit_test(par_stops_at_the_first_error),
		cmocka_unit_test(par_stopped_takes_no_more),
		cmocka_unit_test_setup_teardown(a_large_commit_writes_every_file, setup, teardown),
		cmocka_unit_test(hash_is_gits),
		cmocka_unit_test_setup_teardown(pack_reader_reads_what_libgit2_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(finding_an_id_reads_few_pages_of_the_index, setup, teardown),
		cmocka_unit_test_setup_teardown(objects_of_small_packs_cost_no_page_of_a_large_one, setup, teardown),
		cmocka_unit_test_setup_teardown(walkers_read_the_trees_on_the_changed_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(look_ups_run_ahead_until_the_batch_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(a_file_is_read_once_a_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_takes_back_one_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(files_made_ahead_are_linked_or_made_again, setup, teardown),
		cmocka_unit_test_setup_teardown(a_discarded_batch_leaves_nothing_made_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(new_empty_files_are_names_of_one_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(twins_are_second_names_or_files_of_their_own, setup, teardown),
		cmocka_unit_test_setup_teardown(open_finishes_a_half_written_work_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(second_lock_is_busy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
