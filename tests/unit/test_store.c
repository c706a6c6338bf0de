/* Unit tests of the store: state as git objects of main, one pack a commit, the ref
 * the one commit point, what git itself writes read back, rollback of one unit. */
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
#include <sys/resource.h>
#include <signal.h>
#include <stdatomic.h>
#include <pthread.h>
#include <zlib.h>
#include "store.h"
#include "git.h"
#include "context.h"
#include "records.h"

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
	return fs_remove_tree(dir);
}

/* Runs the shell command fmt, in which every %1$s is the test's folder. */
static int sh(const char *fmt)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd, fmt, dir);
	return system(cmd);
}

/* The test's store, opened and locked, as the dispatcher has it. */
static struct store *open_locked(void)
{
	struct store *s;
	struct rerr e = {0};

	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(store_lock(s, 0, &e), 0);
	return s;
}

/* What a fresh reader reads at path: its bytes, or NULL when absent. */
static char *read_fresh(const char *path)
{
	struct store *s;
	struct rerr e = {0};
	char *buf = NULL;
	size_t len;
	int rc;

	assert_int_equal(store_open(&s, dir, &e), 0);
	rc = store_get(s, path, &buf, &len, &e);
	assert_true(rc == 0 || rc == 1);
	store_free(s);
	return rc == 0 ? buf : NULL;
}

/* Each of the n paths fmt names (with 0 to n - 1) reads as its own path, through s. */
static void each_reads_its_path(struct store *s, const char *fmt, int n)
{
	struct rerr e = {0};
	char path[32], *b;

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, fmt, i);
		assert_int_equal(store_get(s, path, &b, NULL, &e), 0);
		assert_string_equal(b, path);
		free(b);
	}
}

static void a_commit_is_read_back_and_git_agrees(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "a/b/c.yaml", "x: 1\n", 5);
	store_put(s, "a/d.yaml", "y: 2\n", 5);
	assert_null(read_fresh("a/b/c.yaml")); /* nothing is seen before the commit */
	assert_int_equal(store_commit(s, "alice reserve res-1\n", &e), 0);
	assert_string_equal(b = read_fresh("a/b/c.yaml"), "x: 1\n");
	free(b);
	store_put(s, "a/b/c.yaml", "x: 3\n", 5);
	store_del(s, "a/d.yaml");
	assert_int_equal(store_commit(s, "bob pay res-1\n", &e), 0);
	assert_null(read_fresh("a/d.yaml"));
	store_free(s);
	assert_int_equal(sh("test \"$(git -C %1$s show main:a/b/c.yaml)\" = 'x: 3' && "
			    "test \"$(git -C %1$s ls-tree -r --name-only main)\" = a/b/c.yaml && "
			    "test \"$(git -C %1$s log --format=%%s main | tr '\\n' ,)\" = 'bob pay res-1,alice reserve res-1,' && "
			    "git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .)"), 0);
	/* No file of the state is checked out, and no object is loose. */
	assert_int_equal(sh("test \"$(ls -A %1$s)\" = .git && "
			    "test -z \"$(find %1$s/.git/objects -path '*/objects/[0-9a-f][0-9a-f]/*')\""), 0);
}

static void a_folder_left_empty_goes(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};

	store_put(s, "x/y/z/f", "1", 1);
	store_put(s, "x/g", "2", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_del(s, "x/y/z/f");
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("test \"$(git -C %1$s ls-tree -r -t --name-only main)\" = \"$(printf 'x\\nx/g')\""), 0);
	/* ... and no tree is written for it (no object no commit names) */
	assert_int_equal(sh("git -C %1$s fsck --unreachable 2>&1 | (! grep .)"), 0);
}

/* Found by fuzz_apply (a booking held and freed in one batch, or in one step of a
 * rebuild): a folder made and emptied again before a commit gave git_tree_format no
 * entries at all, which it sorted with qsort(NULL, 0), undefined behaviour that a
 * sanitizer build stops on. */
static void a_folder_made_and_emptied_in_one_commit_leaves_nothing(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};

	store_put(s, "n/e/w/f", "1", 1);
	store_put(s, "k", "2", 1);
	store_del(s, "n/e/w/f");
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("test \"$(git -C %1$s ls-tree -r -t --name-only main)\" = k"), 0);
}

/* A batch's pack holds the blobs and trees it changed, not the whole state. */
/* Found by the upgrade of a layout-4 home: a file put where a folder of that name was,
 * with the folder's files deleted in the same commit, was lost with them. */
static void a_file_replaces_a_folder_of_its_name(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "t/e/4/old.yaml", "1", 1);
	store_put(s, "t/e-x", "2", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_del(s, "t/e/4/old.yaml");
	store_put(s, "t/e", "row", 3);
	store_put(s, "t/e-y", "3", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_string_equal(b = read_fresh("t/e"), "row");
	free(b);
	assert_int_equal(sh("test \"$(git -C %1$s ls-tree -r --name-only main | tr '\\n' ' ')\" = 't/e t/e-x t/e-y ' && "
			    "git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .)"), 0);
}

static void a_pack_holds_only_what_the_batch_made(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char path[64];

	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof path, "d%02d/f%03d", i % 30, i);
		store_put(s, path, path, strlen(path));
	}
	assert_int_equal(store_commit(s, "", &e), 0);
	store_put(s, "d07/f007", "new", 3);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	/* the blob, d07's tree, the root tree, the commit */
	assert_int_equal(sh("for i in %1$s/.git/objects/pack/*.idx; do git show-index < $i | wc -l; done | sort -n | head -n 1 | grep -qx 4"), 0);
}

/* A batch's trees go into its pack as they are (zlib's stored blocks: ids do not
 * shrink, and storing costs no deflate), its blobs deflated; git reads both. */
static void trees_are_stored_blobs_deflated(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char text[4000], path[32];

	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\n';
	for (int i = 0; i < 100; i++) { /* d's tree: 100 names that deflate would shrink */
		snprintf(path, sizeof path, "d/file-%03d", i);
		store_put(s, path, text, sizeof text);
	}
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	/* verify-pack -v: id, type, size, size in the pack, offset */
	assert_int_equal(sh("git -C %1$s verify-pack -v $(ls %1$s/.git/objects/pack/*.idx) | "
			    "awk '$2 == \"tree\" && $4 < $3 { bad = 1 } $2 == \"tree\" { t++ } "
			    "$2 == \"blob\" && $4 * 10 > $3 { bad = 1 } $2 == \"blob\" { b++ } "
			    "END { exit !(t == 2 && b == 1 && !bad) }'"), 0);
	assert_int_equal(sh("git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .) && "
			    "test \"$(git -C %1$s cat-file blob main:d/file-099 | wc -c)\" = 4000"), 0);
}

static void packs_merge_geometrically(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char path[64];

	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "f/%03d", i);
		store_put(s, path, path, strlen(path));
		assert_int_equal(store_commit(s, "", &e), 0);
		assert_int_equal(store_maintain(s, &e), 0);
	}
	/* 40 packs of four objects merged as they come: never more than about log2. */
	assert_true(store_pack_count(s) <= 7);
	store_free(s);
	for (int i = 0; i < 40; i++) {
		char *b;
		snprintf(path, sizeof path, "f/%03d", i);
		assert_string_equal(b = read_fresh(path), path);
		free(b);
	}
	assert_int_equal(sh("git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .)"), 0);
}

/* Two batches that write the same bytes write the same object: a merge takes it once,
 * as git's verify-pack refuses a pack that holds an object twice. */
static void an_object_two_batches_wrote_is_in_the_merge_once(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "a", "same\n", 5);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_put(s, "b", "same\n", 5);
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(store_maintain(s, &e), 0);
	assert_int_equal(store_pack_count(s), 1);
	store_free(s);
	assert_int_equal(sh("git -C %1$s show-index < $(ls %1$s/.git/objects/pack/*.idx) | "
			    "grep -c \"$(printf 'same\\n' | git hash-object --stdin)\" | grep -qx 1"), 0);
	assert_string_equal(b = read_fresh("a"), "same\n");
	free(b);
	assert_string_equal(b = read_fresh("b"), "same\n");
	free(b);
	assert_int_equal(sh("git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .) && "
			    "git -C %1$s verify-pack %1$s/.git/objects/pack/*.idx"), 0);
}

/* Objects git wrote itself (loose, and packed as deltas by git gc) read as git does. */
static void what_git_writes_is_read(void **state)
{
	struct store *s;
	struct rerr e = {0};
	char *b;
	size_t len;

	assert_int_equal(sh("cd %1$s && w=$(mktemp -d) && i=$w/index && "
			    "seq 1 3000 > $w/big && GIT_INDEX_FILE=$i git --work-tree=$w add big && "
			    "c=$(git commit-tree $(GIT_INDEX_FILE=$i git write-tree) -m one) && "
			    "seq 1 3001 > $w/big && GIT_INDEX_FILE=$i git --work-tree=$w add big && "
			    "c=$(git commit-tree -p $c $(GIT_INDEX_FILE=$i git write-tree) -m two) && "
			    "git update-ref refs/heads/main $c && git gc -q --aggressive && rm -rf $w"), 0);
	/* git gc stored one version of big as a delta of the other */
	assert_int_equal(sh("git -C %1$s verify-pack -v %1$s/.git/objects/pack/*.idx | grep -q 'blob.* 1 [0-9a-f]*$'"), 0);
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(store_get(s, "big", &b, &len, &e), 0);
	assert_int_equal(len, 13898); /* seq 1 3001 */
	assert_string_equal(b + len - 5, "3001\n");
	free(b);
	store_free(s);
	/* a loose object, as a git command run by hand leaves one */
	assert_int_equal(sh("cd %1$s && b=$(printf 'loose\\n' | git hash-object -w --stdin) && "
			    "t=$(printf '100644 blob %%s\\tl\\n' $b | git mktree) && "
			    "git update-ref refs/heads/main $(git commit-tree $t -m three)"), 0);
	assert_string_equal(b = read_fresh("l"), "loose\n");
	free(b);
	/* git's pack, deltas and all, merged with ours: each object copied once, whole */
	s = open_locked();
	for (int i = 0; i == 0 || (i < 40 && store_pack_count(s) != 1); i++) {
		char f[16];
		snprintf(f, sizeof f, "f%d", i);
		store_put(s, f, f, strlen(f));
		assert_int_equal(store_commit(s, "", &e), 0);
		assert_int_equal(store_maintain(s, &e), 0);
	}
	assert_int_equal(store_pack_count(s), 1);
	store_free(s);
	assert_int_equal(sh("git -C %1$s verify-pack -v %1$s/.git/objects/pack/*.idx | (! grep -q 'chain length')"), 0);
	assert_int_equal(sh("test \"$(git -C %1$s cat-file blob $(seq 1 3001 | git hash-object --stdin) | md5sum)\" = "
			    "\"$(seq 1 3001 | md5sum)\""), 0);
	assert_int_equal(sh("git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .)"), 0);
}

static void hash_is_gits(void **state)
{
	static const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 1000, 100000};
	struct gid id;
	char hex[41], cmd[128], want[64];

	git_hash(&id, GIT_BLOB, "hello\n", 6);
	gid_hex(hex, &id);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	/* every length about a block's end (55 to 65 bytes: where the padding spills) */
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		char *data = xcalloc(1, lens[i] + 1);
		for (size_t j = 0; j < lens[i]; j++)
			data[j] = (char)('a' + j % 26);
		git_hash(&id, GIT_BLOB, data, lens[i]);
		gid_hex(hex, &id);
		snprintf(cmd, sizeof cmd, "printf %%s '%s' | git hash-object --stdin", lens[i] < 100 ? data : "");
		if (lens[i] >= 100)
			snprintf(cmd, sizeof cmd, "yes abcdefghijklmnopqrstuvwxyz | tr -d '\\n' | head -c %zu | git hash-object --stdin", lens[i]);
		FILE *f = popen(cmd, "r");
		assert_non_null(f);
		assert_non_null(fgets(want, sizeof want, f));
		pclose(f);
		want[40] = '\0';
		assert_string_equal(hex, want);
		free(data);
	}
}

static void a_damaged_object_is_an_error_not_the_state(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};

	store_put(s, "f", "precious bytes\n", 15);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	/* Flip a byte of the last entry's deflated data (before the 20-byte trailer). */
	assert_int_equal(sh("p=$(ls %1$s/.git/objects/pack/*.pack) && n=$(stat -c %%s $p) && "
			    "printf 'Z' | dd of=$p bs=1 seek=$((n - 24)) conv=notrunc 2>/dev/null"), 0);
	/* The commit, the tree or the blob is damaged: an error, never other bytes. */
	char *b = NULL;
	int rc = store_open(&s, dir, &e);
	if (rc == 0)
		rc = store_get(s, "f", &b, NULL, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, RX_IO);
	assert_null(b);
	store_free(s);
}

/* The test's store, locked, with two packs of about the same size, which a merge takes
 * together. */
static struct store *two_packs_to_merge(void)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char path[32];

	for (int c = 0; c < 2; c++) {
		for (int i = 0; i < 200; i++) {
			snprintf(path, sizeof path, "c%d/d%02d/f%03d", c, i % 20, i);
			store_put(s, path, path, strlen(path));
		}
		assert_int_equal(store_commit(s, "", &e), 0);
	}
	assert_int_equal(store_pack_count(s), 2);
	return s;
}

/* A merge copies each object's stored bytes as they are, checked against the CRC its
 * index has for them: a damaged one stops the merge, and the packs stay as they were. */
static void a_damaged_object_is_not_merged(void **state)
{
	struct store *s = two_packs_to_merge();
	struct rerr e = {0};

	/* A byte in the middle of the larger pack's objects. */
	assert_int_equal(sh("p=$(ls -S %1$s/.git/objects/pack/*.pack | head -n 1) && n=$(stat -c %%s $p) && "
			    "printf 'Z' | dd of=$p bs=1 seek=$((n / 2)) conv=notrunc 2>/dev/null"), 0);
	assert_int_equal(store_maintain(s, &e), -1);
	assert_int_equal(e.code, RX_IO);
	/* ... saying which object of which pack (it said "an object is unreadable") */
	assert_non_null(strstr(e.msg, ": object "));
	assert_non_null(strstr(e.msg, " of pack-"));
	assert_non_null(strstr(e.msg, " is damaged or unreadable"));
	assert_int_equal(store_pack_count(s), 2);
	assert_int_equal(sh("ls %1$s/.git/objects/pack | grep -c '\\.\\(pack\\|idx\\)$' | grep -qx 4"), 0);
	store_free(s);
}

/* The ids of a merge's objects are its packs' indexes': one whose bytes are not what
 * its trailer's SHA-1 says is not merged, so that no object goes under a wrong id and
 * no pack is removed. */
static void a_damaged_index_is_not_merged(void **state)
{
	struct store *s = two_packs_to_merge();
	struct rerr e = {0};

	/* A byte of an id in the middle of the larger pack's index: the ids stay sorted. */
	assert_int_equal(sh("i=$(ls -S %1$s/.git/objects/pack/*.idx | head -n 1) && "
			    "n=$(git show-index < $i | wc -l) && at=$((1032 + 20 * (n / 2) + 19)) && "
			    "b=$(od -An -tx1 -j $at -N1 $i | tr -d ' ') && "
			    "printf \"\\\\$(printf %%o $((0x$b ^ 1)))\" | dd of=$i bs=1 seek=$at conv=notrunc 2>/dev/null"), 0);
	assert_int_equal(store_maintain(s, &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_int_equal(store_pack_count(s), 2);
	store_free(s);
}

/* A batch whose files cannot be written (here the kernel's limit on a file's size:
 * every write past 1,000 bytes fails) is not committed: main stays, and neither a pack
 * nor a temp file is left. */
static void a_batch_that_cannot_be_written_is_not_committed(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	struct rlimit was, small = {1000, 0};
	char path[32], *b;

	store_put(s, "kept", "kept", 4);
	assert_int_equal(store_commit(s, "", &e), 0);
	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof path, "d%02d/f%03d", i % 20, i);
		store_put(s, path, path, strlen(path));
	}
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	small.rlim_max = was.rlim_max;
	signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int rc = store_commit(s, "", &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, RX_IO);
	store_free(s);
	assert_string_equal(b = read_fresh("kept"), "kept");
	free(b);
	assert_null(read_fresh("d00/f000"));
	assert_int_equal(sh("test $(ls %1$s/.git/objects/pack | wc -l) = 2"), 0);
}

/* An index that cannot be renamed in, over the index of a pack with the same objects
 * (which git's ids make the same pack), fails the commit and leaves that pack as it
 * was, index and all: here the old index is immutable (chattr +i: even root cannot
 * replace it). A scratch store's packs have no commit, so the same changes make the
 * same pack. */
static void an_index_not_renamed_in_leaves_the_pack_of_its_name(void **state)
{
	struct store *s = open_locked(), *t;
	struct rerr e = {0};
	char path[32];

	assert_int_equal(store_open_scratch(&t, s, &e), 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 20; i++) {
			snprintf(path, sizeof path, "f%02d", i);
			store_put(t, path, path, strlen(path));
		}
		if (round == 0) {
			assert_int_equal(store_commit(t, "", &e), 0);
			if (sh("chattr +i %1$s/.git/rental-scratch/*.idx 2>/dev/null") != 0) {
				store_free(t);
				store_free(s);
				skip(); /* the file system has no immutable files */
			}
		}
	}
	assert_int_equal(store_commit(t, "", &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_int_equal(sh("chattr -i %1$s/.git/rental-scratch/*.idx"), 0);
	assert_int_equal(sh("test \"$(ls %1$s/.git/rental-scratch | sed 's/\\..*//' | sort -u | wc -l)\" = 1 && "
			    "test $(ls %1$s/.git/rental-scratch | wc -l) = 2"), 0);
	store_discard(t);
	each_reads_its_path(t, "f%02d", 20);
	store_free(t);
	store_free(s);
}

/* A file a batch read is kept as read, not as a change: reading commits nothing, and
 * a unit that changes it and is rolled back leaves what was read. A store that read
 * before it was locked, when another process moved main, reads the new main. */
static void what_a_store_read_is_kept_but_never_stale(void **state)
{
	struct store *s = open_locked(), *t;
	struct rerr e = {0};
	char *b, head[41], after[41];

	store_put(s, "f", "old", 3);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_head(s, head);
	assert_int_equal(store_get(s, "f", &b, NULL, &e), 0);
	free(b);
	assert_int_equal(store_get(s, "none", &b, NULL, &e), 1);
	assert_int_equal(store_changes(s), 0);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_head(s, after);
	assert_string_equal(after, head); /* nothing changed: no commit */
	store_put(s, "empty", NULL, 0); /* an empty file, not none */
	assert_int_equal(store_get(s, "empty", &b, NULL, &e), 0);
	assert_string_equal(b, "");
	free(b);
	store_del(s, "empty");
	store_begin(s);
	store_put(s, "f", "mid", 3);
	store_rollback(s);
	assert_int_equal(store_get(s, "f", &b, NULL, &e), 0);
	assert_string_equal(b, "old");
	free(b);
	store_free(s);

	assert_int_equal(store_open(&t, dir, &e), 0);
	assert_int_equal(store_get(t, "f", &b, NULL, &e), 0); /* "old" */
	free(b);
	s = open_locked();
	store_put(s, "f", "new", 3);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(store_lock(t, 0, &e), 0);
	assert_int_equal(store_get(t, "f", &b, NULL, &e), 0);
	assert_string_equal(b, "new");
	free(b);
	store_free(t);
}

static void rollback_takes_back_one_unit(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "a", "1", 1);
	store_begin(s);
	store_put(s, "a", "2", 1);
	store_put(s, "b", "3", 1);
	store_del(s, "a");
	store_rollback(s);
	assert_int_equal(store_get(s, "a", &b, NULL, &e), 0);
	assert_string_equal(b, "1");
	free(b);
	assert_int_equal(store_get(s, "b", &b, NULL, &e), 1);
	assert_int_equal(store_changes(s), 1);
	store_free(s);
}

static void second_lock_is_busy(void **state)
{
	struct store *s = open_locked(), *t;
	struct rerr e = {0};

	assert_int_equal(store_open(&t, dir, &e), 0);
	assert_int_equal(store_lock(t, 0, &e), -1);
	assert_int_equal(e.code, RX_TEMP);
	store_free(t);
	store_free(s);
}

/* With "old" committed at f, a child committing "new" is killed at the crash point
 * step: f then reads as then ("old" before the ref moved, "new" after). */
static void commit_killed_at(const char *step, const char *then)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;
	pid_t pid;
	int status;

	store_put(s, "f", "old", 3);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	pid = fork();
	if (pid == 0) {
		setenv("RENTAL_CRASH_AT", step, 1);
		s = open_locked();
		store_put(s, "f", "new", 3);
		store_commit(s, "", &e);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_string_equal(b = read_fresh("f"), then);
	free(b);
}

/* Killed between its pack and the ref, a commit is not the state: the old one is,
 * and the next locker sweeps the leftovers, the dead batch's whole pack too (it was
 * marked pending and does not hold main's commit): no object is left that no commit
 * names. Files an older release kept checked out are that release's until
 * store_drop_checkout (after an upgrade's commit). */
static void a_commit_killed_before_its_ref_is_garbage(void **state)
{
	struct store *s;
	struct rerr e = {0};

	commit_killed_at("objects", "old");
	/* Ours, and a fetch's that libgit2 left (its temp pack, a lock, an index renamed
	 * in before its pack); not a pack whose index is gone (no writer leaves one: it
	 * may be the history's, whose index was removed). */
	assert_int_equal(sh("cd %1$s/.git/objects/pack && touch tmp_pack_x pack-0123456789012345678901234567890123456789.pack "
			    "pack_git2_x pack-1123456789012345678901234567890123456789.idx.lock "
			    "pack-2123456789012345678901234567890123456789.idx && "
			    "mkdir -p %1$s/cars && echo stale > %1$s/cars/f"), 0);
	s = open_locked();
	assert_int_equal(sh("test \"$(ls %1$s/.git/objects/pack | grep -c -e tmp_ -e pack_git2 -e '^pack-[12]123')\" = 0"), 0);
	assert_int_equal(sh("rm %1$s/.git/objects/pack/pack-0123456789012345678901234567890123456789.pack"), 0);
	assert_int_equal(sh("test \"$(cat %1$s/cars/f)\" = stale"), 0);
	/* what an older release checked out is named; anything else in state/ stays */
	assert_int_equal(sh("echo mine > %1$s/NOTES"), 0);
	assert_int_equal(store_drop_checkout(s, (const char *const[]){"cars", NULL}, &e), 0);
	assert_int_equal(sh("test \"$(ls -A %1$s | tr '\\n' ' ')\" = '.git NOTES '"), 0);
	assert_int_equal(sh("rm %1$s/NOTES"), 0);
	assert_int_equal(store_pack_count(s), 1);
	store_free(s);
	assert_int_equal(sh("git -C %1$s fsck --strict --unreachable 2>&1 | (! grep .)"), 0);
}

/* A mark whose pack never came in (a run killed between the two: the mark is made
 * first) is removed by the next locker, which goes on: it once failed every lock,
 * reading a commit that is nowhere (found by the kill torture). */
static void a_mark_without_its_pack_is_dropped(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};

	store_put(s, "f", "x", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("sleep 0.01 && touch %1$s/.git/objects/pack/pending-"
			    "1111111111111111111111111111111111111111-2222222222222222222222222222222222222222"), 0);
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(store_lock(s, 0, &e), 0);
	store_free(s);
	assert_int_equal(sh("! ls %1$s/.git/objects/pack | grep -q pending-1111"), 0);
}

/* Main set back by hand (git update-ref) to the commit before the last batch's: that
 * batch's pack, marked pending still and built on main as it now is, is kept (main
 * moved after its mark), so main can be put forward again. */
static void a_batch_main_was_set_back_from_is_kept(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};

	store_put(s, "f", "old", 3);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_put(s, "f", "new", 3);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("cd %1$s && git rev-parse main > .git/was && sleep 0.01 && "
			    "git update-ref refs/heads/main main~1"), 0);
	s = open_locked();
	assert_int_equal(store_pack_count(s), 2);
	store_free(s);
	assert_int_equal(sh("cd %1$s && git update-ref refs/heads/main $(cat .git/was) && "
			    "test \"$(git show main:f)\" = new"), 0);
}

/* Killed after main moved, a batch is the state: its pack, marked pending still, holds
 * main's commit and stays; the next batch clears the mark, and its own at its commit. */
static void a_commit_killed_after_its_ref_is_kept(void **state)
{
	struct store *s;
	char *b;
	struct rerr e = {0};

	commit_killed_at("commit", "new");
	s = open_locked();
	assert_int_equal(store_pack_count(s), 2);
	store_put(s, "g", "x", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_string_equal(b = read_fresh("f"), "new");
	free(b);
	assert_int_equal(sh("test \"$(ls %1$s/.git/objects/pack | grep -c '^pending-')\" = 0"), 0);
	assert_int_equal(sh("git -C %1$s fsck --strict --unreachable 2>&1 | (! grep .)"), 0);
}

/* A merge killed after its pack is written, before the old ones go, leaves the same
 * objects twice; merged again, the one pack made may be that very pack. */
/* A rebuild's scratch store commits a pack a thousand events: it merges them, in its
 * own folder, so that a replay of a long log does not search a thousand packs; the
 * repository's packs are left as they are. */
static void a_scratch_store_merges_its_own_packs(void **state)
{
	struct store *s = open_locked(), *t;
	struct rerr e = {0};
	char path[32];

	store_put(s, "a", "a", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(store_open_scratch(&t, s, &e), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "f/%03d", i);
		store_put(t, path, path, strlen(path));
		assert_int_equal(store_commit(t, "", &e), 0);
		assert_int_equal(store_maintain(t, &e), 0);
	}
	assert_true(store_pack_count(t) <= 1 + 7);
	assert_int_equal(sh("test $(ls %1$s/.git/objects/pack/*.idx | wc -l) = 1"), 0);
	each_reads_its_path(t, "f/%03d", 40);
	store_free(t);
	store_free(s);
}

static void a_merge_killed_half_way_loses_nothing(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char path[64];
	pid_t pid;
	int status;

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "f/%03d", i);
		store_put(s, path, path, strlen(path));
		assert_int_equal(store_commit(s, "", &e), 0);
	}
	store_free(s);
	pid = fork();
	if (pid == 0) {
		setenv("RENTAL_CRASH_AT", "merged", 1);
		s = open_locked();
		store_maintain(s, &e);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	for (int round = 0; round < 2; round++) {
		s = open_locked();
		assert_int_equal(store_maintain(s, &e), 0);
		store_free(s);
		for (int i = 0; i < 3; i++) {
			char *b;
			snprintf(path, sizeof path, "f/%03d", i);
			assert_non_null(b = read_fresh(path));
			free(b);
		}
	}
	assert_int_equal(sh("git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .)"), 0);
}

/* A reader lists the packs, then a batch commits and a merge removes packs, then
 * the reader reads main: the commit is in a pack it has not listed. */
static void a_reader_finds_objects_packed_after_it_listed(void **state)
{
	struct store *s = open_locked();
	struct gitrepo *r;
	struct rerr e = {0};
	struct gid head;
	enum git_type t;
	char gitdir[128], path[32], *b;
	size_t len;

	store_put(s, "f/0", "0", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	snprintf(gitdir, sizeof gitdir, "%s/.git", dir);
	assert_int_equal(gitrepo_open(&r, gitdir, &e), 0);
	for (int i = 1; i < 8; i++) {
		snprintf(path, sizeof path, "f/%d", i);
		store_put(s, path, path, strlen(path));
		assert_int_equal(store_commit(s, "", &e), 0);
		assert_int_equal(store_maintain(s, &e), 0);
	}
	store_free(s);
	assert_int_equal(git_ref_read(gitdir, "refs/heads/main", &head, &e), 0);
	assert_int_equal(git_read(r, &head, &t, &b, &len, &e), 0);
	assert_int_equal(t, GIT_COMMIT);
	free(b);
	gitrepo_free(r);
}

/* The index search guesses where an id lies among those of its first byte from its
 * next bytes. Ids crowded into the first sixteenth of their range (first byte 00, the
 * next below 10) make every guess land low: the ids past its window are found by the
 * search that follows, and ids near them that the pack lacks are absent. */
static void ids_far_from_their_guess_are_found(void **state)
{
	struct gitpack_new p = {0};
	struct gitrepo *r;
	struct rerr e = {0};
	char gitdir[128], buf[32], *b;
	struct gid ids[600], id;
	enum git_type t;
	size_t len, n = 0;

	for (long i = 0; n < 600; i++) {
		int l = snprintf(buf, sizeof buf, "%ld", i);
		git_hash(&id, GIT_BLOB, buf, (size_t)l);
		if (id.b[0] == 0 && id.b[1] < 0x10)
			gitpack_add(&p, GIT_BLOB, buf, (size_t)l, &ids[n++]);
		else if (i % 1000 == 0) /* and some of anywhere */
			gitpack_add(&p, GIT_BLOB, buf, (size_t)l, &id);
	}
	snprintf(gitdir, sizeof gitdir, "%s/.git", dir);
	char *packdir = xasprintf("%s/objects/pack", gitdir);
	assert_int_equal(gitpack_write(&p, packdir, NULL, &e), 0);
	gitpack_new_free(&p);
	free(packdir);
	assert_int_equal(gitrepo_open(&r, gitdir, &e), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(git_read(r, &ids[i], &t, &b, &len, &e), 0);
		git_hash(&id, t, b, len);
		assert_memory_equal(id.b, ids[i].b, 20);
		free(b);
		id = ids[i];
		id.b[19] ^= 1; /* beside it, not in the pack */
		assert_int_equal(git_read(r, &id, &t, &b, &len, &e), 1);
	}
	assert_int_equal(sh("git -C %1$s verify-pack %1$s/.git/objects/pack/*.idx"), 0);
	gitrepo_free(r);
}

/* Found by 1800-kill.t: killed between writing main's new value and renaming it in,
 * a commit left refs/heads/main.tmpPID, which git fsck took for a broken ref. */
static void a_ref_killed_before_its_rename_leaves_no_ref(void **state)
{
	struct store *s;

	commit_killed_at("ref", "old");
	assert_int_equal(sh("git -C %1$s fsck --strict 2>&1 | (! grep -v dangling)"), 0);
	s = open_locked(); /* sweeps the new value nobody renamed in */
	store_free(s);
	assert_int_equal(sh("test -z \"$(ls %1$s/.git/refs/heads | grep -v '^main$')\""), 0);
}

/* ---- sizes a damaged object claims ---- */

/* A git object's header or a delta's size field: size, in groups of seven bits after
 * the first bits (4 for a pack entry's, with its type; 7 for a delta's). */
static size_t put_size(unsigned char *out, int type, uint64_t size)
{
	size_t n = 0;
	int first = type ? 4 : 7;

	out[0] = (unsigned char)((type << 4) | (size & ((1u << first) - 1)));
	for (size >>= first; size; size >>= 7) {
		out[n++] |= 0x80;
		out[n] = size & 0x7f;
	}
	return n + 1;
}

/* Deflates len bytes of p onto out (4,096 bytes) at *at. */
static void put_deflated(unsigned char *out, size_t *at, const void *p, size_t len)
{
	uLongf n = 4096 - *at;

	assert_int_equal(compress(out + *at, &n, p, (uLong)len), Z_OK);
	*at += n;
}

/* Writes the test's repository a pack of n entries (bytes ents[i] of lens[i]) under
 * the ids ids[i] (sorted), with the index git reads it by. */
static void write_raw_pack(int n, const unsigned char *const *ents, const size_t *lens,
			   unsigned char ids[][20])
{
	char path[160];
	unsigned char be[4];
	uint32_t at = 12, count = 0;
	FILE *p, *x;

	snprintf(path, sizeof path, "%s/.git/objects/pack/pack-%040d.pack", dir, 1);
	assert_non_null(p = fopen(path, "w"));
	fwrite("PACK\0\0\0\2\0\0\0", 1, 11, p);
	fputc(n, p);
	snprintf(path, sizeof path, "%s/.git/objects/pack/pack-%040d.idx", dir, 1);
	assert_non_null(x = fopen(path, "w"));
	fwrite("\377tOc\0\0\0\2", 1, 8, x);
	for (int b = 0; b < 256; b++) {
		while ((int)count < n && ids[count][0] <= b)
			count++;
		be[0] = 0, be[1] = 0, be[2] = 0, be[3] = (unsigned char)count;
		fwrite(be, 1, 4, x);
	}
	for (int i = 0; i < n; i++)
		fwrite(ids[i], 1, 20, x);
	for (int i = 0; i < n; i++)
		fwrite("\0\0\0\0", 1, 4, x); /* CRCs: a read does not check them */
	for (int i = 0; i < n; i++) {
		be[0] = at >> 24, be[1] = at >> 16, be[2] = at >> 8, be[3] = (unsigned char)at;
		fwrite(be, 1, 4, x);
		fwrite(ents[i], 1, lens[i], p);
		at += (uint32_t)lens[i];
	}
	fwrite(ids[0], 1, 20, p);
	fwrite(ids[0], 1, 20, x);
	fwrite(ids[0], 1, 20, x);
	assert_int_equal(fclose(p) | fclose(x), 0);
}

/* Reads id from the test's repository: it must be damage (-1, RX_IO), whatever the
 * sizes in it claim. */
static void read_is_damage(const unsigned char id[20])
{
	struct gitrepo *r;
	struct rerr e = {0};
	struct gid g;
	enum git_type t;
	char *data = NULL, gitdir[96];
	size_t len;

	snprintf(gitdir, sizeof gitdir, "%s/.git", dir);
	memcpy(g.b, id, 20);
	assert_int_equal(gitrepo_open(&r, gitdir, &e), 0);
	assert_int_equal(git_read(r, &g, &t, &data, &len, &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_null(data);
	gitrepo_free(r);
}

/* A pack entry or a loose object that claims a petabyte is damage, not a malloc that
 * kills the reader. */
static void a_huge_size_claimed_is_damage(void **state)
{
	unsigned char ent[4096], ids[1][20], loose[4096], head[] = "blob 1125899906842624";
	const unsigned char *ents[1] = {ent};
	size_t at;
	char path[160];
	FILE *f;

	at = put_size(ent, GIT_BLOB, (uint64_t)1 << 50);
	put_deflated(ent, &at, "x", 1);
	memset(ids[0], 0x42, 20);
	write_raw_pack(1, ents, &at, ids);
	read_is_damage(ids[0]);

	at = 0;
	put_deflated(loose, &at, head, sizeof head); /* with its NUL */
	snprintf(path, sizeof path, "%s/.git/objects/43", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/.git/objects/43/%038d", dir, 0);
	assert_non_null(f = fopen(path, "w"));
	fwrite(loose, 1, at, f);
	assert_int_equal(fclose(f), 0);
	memset(ids[0], 0, 20);
	ids[0][0] = 0x43;
	read_is_damage(ids[0]);
}

/* A delta that claims to make more bytes than memory holds (here 2^64 - 1, which one
 * byte more wraps to nothing) is damage, and writes nothing past what was made. */
static void a_delta_claiming_too_much_is_damage(void **state)
{
	unsigned char base[4096], delta[4096], d[4096], ids[2][20];
	const unsigned char *ents[2] = {base, delta};
	size_t lens[2], dl = 0, at;
	struct gid bid;

	at = put_size(base, GIT_BLOB, 5);
	put_deflated(base, &at, "hello", 5);
	lens[0] = at;
	dl = put_size(d, 0, 5);
	dl += put_size(d + dl, 0, UINT64_MAX);
	for (int k = 0; k < 20; k++) { /* inserts of 127 bytes each */
		d[dl++] = 0x7f;
		memset(d + dl, 'A', 127);
		dl += 127;
	}
	at = put_size(delta, 6, dl);
	delta[at++] = (unsigned char)lens[0]; /* the base is this far before */
	put_deflated(delta, &at, d, dl);
	lens[1] = at;
	git_hash(&bid, GIT_BLOB, "hello", 5);
	memcpy(ids[0], bid.b, 20);
	memset(ids[1], 0xee, 20);
	assert_true(ids[0][0] < 0xee);
	write_raw_pack(2, ents, lens, ids);
	read_is_damage(ids[1]);
}

/* A record whose object cannot be read is an error, not a shorter list that rules
 * decide on; one that reads but does not parse is left out, as store.h says. */
static void an_unreadable_record_fails_the_list(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	struct kv *recs;
	size_t n;

	store_put(s, "cars/a", "car: a\nrate: 1\n", 15);
	store_put(s, "cars/b", "car: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nrate: 2\n", 57);
	store_put(s, "cars/c", "car: [\n", 7);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(store_read_records(s, "cars", &recs, &n, &e), 0);
	assert_int_equal(n, 2); /* c does not parse */
	store_records_free(recs, n);
	store_free(s);
	/* A byte in the middle of b's deflated bytes. */
	assert_int_equal(sh("i=$(ls %1$s/.git/objects/pack/*.idx) && "
			    "b=$(git -C %1$s rev-parse main:cars/b) && "
			    "set -- $(git verify-pack -v $i | grep \"^$b \") && "
			    "printf 'Z' | dd of=${i%%.idx}.pack bs=1 seek=$(($5 + $4 / 2)) conv=notrunc 2>/dev/null"), 0);
	assert_int_equal(store_open(&s, dir, &e), 0);
	recs = NULL;
	assert_int_equal(store_read_records(s, "cars", &recs, &n, &e), -1);
	assert_int_equal(e.code, RX_IO);
	store_records_free(recs, n);
	store_free(s);
}

static int count_file(const char *path, const char *name, void *arg, struct rerr *e)
{
	++*(int *)arg;
	return 0;
}

/* A tree whose bytes are its id's but do not parse stops a walk with an error that
 * says so (RX_IO), not an empty one. */
static void a_tree_that_does_not_parse_is_named(void **state)
{
	struct store *s;
	struct rerr e = {0};
	int n = 0;

	assert_int_equal(sh("cd %1$s && t=$(printf 'not a tree' | git hash-object -t tree --literally -w --stdin) && "
			    "r=$(printf '040000 tree %%s\\tcars\\n' $t | git mktree --missing) && "
			    "git update-ref refs/heads/main $(git commit-tree $r -m bad)"), 0);
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(store_walk(s, "cars", count_file, &n, &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_non_null(strstr(e.msg, "tree"));
	assert_int_equal(n, 0);
	store_free(s);
}

/* A long folder (more than HALVED_BYTES of tree) is searched by halves, and a batch
 * finds what it changes there by halves too: names that git orders otherwise than
 * strcmp (a file "a.b" before the folder "a", which sorts as "a/") are each found,
 * replaced, deleted and made, and git finds every tree in order, no name twice. */
static void a_long_folder_is_searched_by_halves(void **state)
{
	static const char *const odd[] = {"big/a/in", "big/a.b", "big/a-c", "big/a0", "big/z"};
	struct store *s = open_locked();
	struct rerr e = {0};
	char path[32], *b;

	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof path, "big/f%03d", i);
		store_put(s, path, path, strlen(path));
	}
	for (size_t i = 0; i < 5; i++)
		store_put(s, odd[i], odd[i], strlen(odd[i]));
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	s = open_locked();
	each_reads_its_path(s, "big/f%03d", 400);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(store_get(s, odd[i], &b, NULL, &e), 0);
		assert_string_equal(b, odd[i]);
		free(b);
	}
	assert_int_equal(store_get(s, "big/a", &b, NULL, &e), 1); /* a folder, not a file */
	assert_int_equal(store_get(s, "big/f400", &b, NULL, &e), 1);
	assert_int_equal(store_get(s, "big/a.b/x", &b, NULL, &e), 1);
	/* The folder a becomes a file, the file a.b a folder; one deleted, one made. */
	store_del(s, "big/a/in");
	store_put(s, "big/a", "row", 3);
	store_del(s, "big/a.b");
	store_put(s, "big/a.b/x", "x", 1);
	store_del(s, "big/f100");
	store_put(s, "big/f400", "new", 3);
	store_put(s, "big/a-c", "changed", 7);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_string_equal(b = read_fresh("big/a"), "row");
	free(b);
	assert_string_equal(b = read_fresh("big/a.b/x"), "x");
	free(b);
	assert_string_equal(b = read_fresh("big/a-c"), "changed");
	free(b);
	assert_string_equal(b = read_fresh("big/f400"), "new");
	free(b);
	assert_null(read_fresh("big/f100"));
	assert_null(read_fresh("big/a/in"));
	assert_string_equal(b = read_fresh("big/f399"), "big/f399");
	free(b);
	assert_int_equal(sh("test \"$(git -C %1$s ls-tree -r --name-only main | wc -l)\" = 405 && "
			    "git -C %1$s fsck --strict --no-dangling 2>&1 | (! grep .)"), 0);
}

/* A long tree whose entries are out of git's order is damage, to a reader and to a
 * batch that changes it: searched by halves, it would hide what it holds. */
static void a_long_tree_out_of_order_is_damage(void **state)
{
	char raw[64], file[96];
	struct gid blob;
	struct store *s;
	struct rerr e = {0};
	FILE *f;
	char *b;

	git_hash(&blob, GIT_BLOB, "x", 1);
	snprintf(file, sizeof file, "%s/tree.raw", dir);
	assert_non_null(f = fopen(file, "w"));
	for (int i = 299; i >= 0; i--) { /* 300 entries, backwards */
		int n = snprintf(raw, sizeof raw, "100644 n%03d", i) + 1;
		fwrite(raw, 1, (size_t)n, f);
		fwrite(blob.b, 1, 20, f);
	}
	fclose(f);
	assert_int_equal(sh("cd %1$s && printf x | git hash-object -w --stdin >/dev/null && "
			    "t=$(git hash-object -t tree --literally -w tree.raw) && rm tree.raw && "
			    "r=$(printf '040000 tree %%s\tbig\n' $t | git mktree) && "
			    "git update-ref refs/heads/main $(git commit-tree $r -m backwards)"), 0);
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(store_get(s, "big/n150", &b, NULL, &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_non_null(strstr(e.msg, "a tree is damaged"));
	store_free(s);
	s = open_locked();
	store_put(s, "big/n300", "y", 1);
	e = (struct rerr){0};
	assert_int_equal(store_commit(s, "", &e), -1);
	assert_non_null(strstr(e.msg, "a tree is damaged"));
	store_free(s);
}

/* A config that cannot be read is an error of store_drop_checkout, not a repository
 * left as it was under a 0. */
static void an_unreadable_config_fails_the_drop(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};

	assert_int_equal(sh("rm %1$s/.git/config && mkdir %1$s/.git/config"), 0);
	assert_int_equal(store_drop_checkout(s, (const char *const[]){NULL}, &e), -1);
	assert_int_equal(e.code, RX_IO);
	store_free(s);
}

/* A pack and its index are read-only, as git makes them, and readable by whom the
 * umask lets read the rest of the home (a reader under another account in its group). */
static void packs_are_read_only_as_the_umask_lets(void **state)
{
	mode_t was = umask(027);
	struct store *s = open_locked();
	struct rerr e = {0};

	store_put(s, "f", "x", 1);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	umask(was);
	assert_int_equal(sh("cd %1$s/.git/objects/pack && test \"$(stat -c %%a *.pack *.idx | sort -u)\" = 440"), 0);
}

/* A unit in which a read of the committed state failed fails, even where the caller
 * went on without what it could not read (e NULL): rewriting a table from nothing
 * would lose its other rows. The next unit starts clean. */
static void a_unit_whose_read_failed_fails(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b = NULL;

	store_put(s, "t/a", "row a\n", 6);
	store_put(s, "t/b", "row b\n", 6);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("i=$(ls %1$s/.git/objects/pack/*.idx) && b=$(git -C %1$s rev-parse main:t/a) && "
			    "set -- $(git verify-pack -v $i | grep \"^$b \") && "
			    "printf 'Z' | dd of=${i%%.idx}.pack bs=1 seek=$(($5 + $4 - 2)) conv=notrunc 2>/dev/null"), 0);
	s = open_locked();
	store_begin(s);
	assert_int_equal(store_get(s, "t/b", &b, NULL, NULL), 0);
	free(b);
	assert_int_equal(store_unit_failed(s, &e), 0);
	assert_int_equal(store_get(s, "t/a", &b, NULL, NULL), -1);
	assert_int_equal(store_unit_failed(s, &e), -1);
	assert_int_equal(e.code, RX_IO);
	store_rollback(s);
	store_begin(s);
	assert_int_equal(store_unit_failed(s, &e), 0);
	store_end(s);
	store_free(s);
}

/* fs_read of a FIFO (one a writer renamed over a spool file after the dispatcher's
 * lstat) is refused at once: it does not wait for a writer that never comes. */
static void a_fifo_is_refused_without_waiting(void **state)
{
	char path[96], *buf = NULL;
	struct rerr e = {0};
	size_t len;

	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(5); /* the default action ends the test: it waited */
	assert_int_equal(fs_read(path, 4096, &buf, &len, &e), -1);
	alarm(0);
	assert_null(buf);
	assert_non_null(strstr(e.msg, "not a regular file"));
}

static int count_path(const char *path, const char *name, void *arg, struct rerr *e)
{
	char **seen = arg;
	char *old = *seen;

	assert_true(asprintf(seen, "%s%s,", old ? old : "", path) > 0);
	free(old);
	return 0;
}

static void diff_names_the_paths_that_differ(void **state)
{
	struct store *s = open_locked(), *t;
	struct rerr e = {0};
	char *seen = NULL;

	store_put(s, "log/1", "l", 1);
	store_put(s, "a/same", "s", 1);
	store_put(s, "a/changed", "1", 1);
	store_put(s, "a/only-real", "r", 1);
	store_put(s, "b/c/d", "tree in one, file in the other", 30);
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(store_open_scratch(&t, s, &e), 0);
	store_put(t, "a/same", "s", 1);
	store_put(t, "a/changed", "2", 1);
	store_put(t, "a/only-scratch", "x", 1);
	store_put(t, "b/c", "file", 4);
	assert_int_equal(store_commit(t, "", &e), 0);
	assert_int_equal(store_diff(s, t, "log", count_path, &seen, &e), 0);
	assert_string_equal(seen, "a/changed,a/only-real,a/only-scratch,b/c,b/c/d,");
	free(seen);
	store_free(t);
	store_free(s);
	/* the scratch packs went with it */
	assert_int_equal(sh("test ! -e %1$s/.git/rental-scratch"), 0);
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

/* A row of alice's page for booking id, padded to about a KiB. */
static void page_row(struct kv *row, const char *id)
{
	char pad[1001];

	memset(pad, 'x', 1000);
	pad[1000] = '\0';
	kv_init(row);
	kv_set(row, "reservation", id);
	kv_set(row, "note", pad);
}

static size_t alices_rows(struct store *s)
{
	struct kv *rows;
	size_t n;
	struct rerr e = {0};

	assert_int_equal(rec_rows(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &rows, &n, &e), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(strlen(kv_get(&rows[i], "note")), 1000);
	store_records_free(rows, n);
	return n;
}

/* What s reads at path: its bytes, or NULL when absent. */
static char *got(struct store *s, const char *path)
{
	char *b = NULL;
	struct rerr e = {0};

	return store_get(s, path, &b, NULL, &e) == 0 ? b : NULL;
}

/* The bytes of alice's page record at rel (under her folder), or NULL. */
static char *alices(struct store *s, const char *rel)
{
	char p[240], sh[3];

	shard_name(sh, "alice");
	snprintf(p, sizeof p, "mypage/customers/%s/alice/%s", sh, rel);
	return got(s, p);
}

static void put_page(struct store *s, const char *id)
{
	struct kv row;

	page_row(&row, id);
	rec_row_put(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &row);
	kv_free(&row);
}

/* Puts alice's rows res-<fmt of from..to-1>, each id made by fmt from the number. */
static void put_pages(struct store *s, const char *fmt, int from, int to)
{
	char id[ID_LEN];

	for (int i = from; i < to; i++) {
		snprintf(id, sizeof id, fmt, i);
		put_page(s, id);
	}
}

/* An owner's table whose leaf grows past 16 KiB moves a digit deeper: its depth record
 * says 3; every row reads back where it now lies, in the batch and once committed; a
 * row is deleted there, a new one goes a digit deeper too, and dropping the table
 * takes the depth. A damaged depth fails the read and the unit. */
static void an_owners_table_splits_deeper_as_it_grows(void **state)
{
	struct store *s = open_locked(), *r;
	struct rerr e = {0};
	struct kv row;
	char id[ID_LEN], *b;

	store_put(s, "layout", "version: 8\n", 11);
	put_pages(s, "res-%014x00", 0, 15); /* leaf 0/0 (the ids' last digits): 15 rows of 1,039 bytes */
	put_page(s, "res-00000000000000a1"); /* and one in leaf 1/a */
	assert_null(alices(s, "depth"));
	assert_non_null(b = alices(s, "0/0"));
	free(b);
	put_pages(s, "res-%014x00", 15, 40); /* the 16th passes 16 KiB */
	assert_string_equal(b = alices(s, "depth"), "depth: 3\n");
	free(b);
	assert_null(alices(s, "0/0"));
	assert_non_null(b = alices(s, "0/0/5")); /* res-...0500, res-...1500, res-...2500 */
	assert_int_equal(strlen(b), 3 * 1039);
	free(b);
	assert_non_null(b = alices(s, "1/a/0"));
	free(b);
	assert_int_equal(alices_rows(s), 41);
	for (int i = 0; i < 40; i++) { /* in the batch */
		snprintf(id, sizeof id, "res-%014x00", i);
		assert_int_equal(rec_row(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", id, &row, &e), 0);
		kv_free(&row);
	}
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);

	assert_int_equal(store_open(&r, dir, &e), 0); /* a command's reader */
	assert_int_equal(alices_rows(r), 41);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof id, "res-%014x00", i);
		assert_int_equal(rec_row(r, CTX_MYPAGE, OWNER_CUSTOMER, "alice", id, &row, &e), 0);
		assert_string_equal(kv_get(&row, "reservation"), id);
		kv_free(&row);
	}
	store_free(r);

	s = open_locked();
	rec_row_del(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", "res-00000000000000a1");
	assert_int_equal(alices_rows(s), 40);
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(rec_row(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", "res-00000000000000a1", &row, &e), 1);
	put_page(s, "res-00000000000002a1"); /* a new row goes a digit deeper too */
	assert_non_null(b = alices(s, "1/a/2"));
	free(b);
	assert_int_equal(alices_rows(s), 41);
	assert_int_equal(rec_rows_drop(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &e), 0);
	assert_int_equal(alices_rows(s), 0);
	assert_null(alices(s, "depth"));
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("test -z \"$(git -C %1$s/.git ls-tree -r main mypage)\""), 0);

	s = open_locked();
	put_page(s, "res-00000000000000a1");
	char sh2[3], p[200];
	shard_name(sh2, "alice");
	snprintf(p, sizeof p, "mypage/customers/%s/alice/depth", sh2);
	store_put(s, p, "depth: 4294967299\n", 18); /* 3, were it cut to 32 bits */
	store_begin(s);
	assert_int_equal(rec_rows(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &(struct kv *){NULL}, &(size_t){0}, &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_non_null(strstr(e.msg, "/alice/depth: damaged: not a depth a split writes"));
	assert_int_equal(store_unit_failed(s, NULL), -1);
	store_rollback(s);
	store_begin(s);
	put_page(s, "res-00000000000001a1"); /* nowhere to put it: the unit fails */
	assert_int_equal(store_unit_failed(s, &e), -1);
	assert_int_equal(e.code, RX_IO);
	store_rollback(s);
	store_free(s);
}

/* Layout 10: a leaf past 16 KiB splits alone, and a child still past it in turn, each
 * saying so in its split record: rows whose ids end in 000 go from 0/0 to 0/0/0/x,
 * leaf 1/a and the rest never move, no depth record is written. Every row reads back
 * in the batch and once committed; a row the next batch adds under a split committed
 * is read with the others, and dropping the table in that batch takes split records
 * and all; so does dropping it in the batch that split it. A unit that fails takes
 * back the splits it made; a layout record that cannot be read fails a read. */
static void a_leaf_splits_alone_as_deep_as_its_ids_differ(void **state)
{
	struct store *s = open_locked(), *r;
	struct rerr e = {0};
	struct kv row;
	char id[ID_LEN], *b;

	store_put(s, "layout", "version: 10\n", 12);
	put_page(s, "res-00000000000000a1"); /* leaf 1/a */
	put_pages(s, "res-%013x000", 0, 16); /* 0/0: the 16th of 1,039 bytes passes 16 KiB */
	assert_string_equal(b = alices(s, "0/0/split"), "depth: 3\n");
	free(b);
	assert_string_equal(b = alices(s, "0/0/0/split"), "depth: 4\n");
	free(b);
	assert_null(alices(s, "0/0"));
	assert_null(alices(s, "0/0/0"));
	assert_null(alices(s, "depth"));
	assert_non_null(b = alices(s, "0/0/0/5")); /* res-...5000 alone */
	assert_int_equal(strlen(b), 1039);
	free(b);
	assert_non_null(b = alices(s, "1/a"));
	free(b);
	assert_int_equal(alices_rows(s), 17);
	for (int i = 0; i < 16; i++) { /* in the batch */
		snprintf(id, sizeof id, "res-%013x000", i);
		assert_int_equal(rec_row(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", id, &row, &e), 0);
		kv_free(&row);
	}
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);

	assert_int_equal(store_open(&r, dir, &e), 0); /* a command's reader */
	assert_int_equal(alices_rows(r), 17);
	for (int i = 0; i < 16; i++) {
		snprintf(id, sizeof id, "res-%013x000", i);
		assert_int_equal(rec_row(r, CTX_MYPAGE, OWNER_CUSTOMER, "alice", id, &row, &e), 0);
		assert_string_equal(kv_get(&row, "reservation"), id);
		kv_free(&row);
	}
	store_free(r);
	/* A layout record that cannot be read fails a read, which would otherwise look
	 * where the layouts before keep the row (and not find it). */
	assert_int_equal(sh("cd %1$s && t=$(git ls-tree main | sed 's/^100644 blob [0-9a-f]*\tlayout$/"
			    "100644 blob 0123456789012345678901234567890123456789\tlayout/' | git mktree --missing) && "
			    "git update-ref refs/heads/main $(git commit-tree $t -p main -m unreadable)"), 0);
	assert_int_equal(store_open(&r, dir, &e), 0);
	assert_int_equal(rec_row(r, CTX_MYPAGE, OWNER_CUSTOMER, "alice", "res-0000000000005000", &row, &e), -1);
	assert_non_null(strstr(e.msg, "layout"));
	store_free(r);
	assert_int_equal(sh("cd %1$s && git update-ref refs/heads/main main~1"), 0);

	s = open_locked();
	put_page(s, "res-0000000000015000"); /* beside res-...5000, under the committed splits */
	assert_non_null(b = alices(s, "0/0/0/5"));
	assert_int_equal(strlen(b), 2 * 1039);
	free(b);
	assert_int_equal(alices_rows(s), 18);
	assert_int_equal(rec_rows_drop(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &e), 0);
	assert_int_equal(alices_rows(s), 0);
	assert_null(alices(s, "0/0/split"));
	assert_null(alices(s, "0/0/0/split"));
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("test -z \"$(git -C %1$s/.git ls-tree -r main mypage)\""), 0);

	s = open_locked();
	put_pages(s, "res-%013x000", 0, 16); /* split again, and taken out in that batch */
	assert_int_equal(alices_rows(s), 16);
	assert_int_equal(rec_rows_drop(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &e), 0);
	assert_int_equal(alices_rows(s), 0);
	assert_null(alices(s, "0/0/0/split"));
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(sh("test -z \"$(git -C %1$s/.git ls-tree -r main mypage)\""), 0);
	store_begin(s);
	put_pages(s, "res-%013x000", 0, 16);
	assert_non_null(b = alices(s, "0/0/0/split"));
	free(b);
	store_unit_fail(s, &(struct rerr){RX_IO, "a fault", 0});
	store_rollback(s);
	assert_null(alices(s, "0/0/split"));
	assert_null(alices(s, "0/0/0/split"));
	assert_int_equal(alices_rows(s), 0);
	store_free(s);
}

/* In a home of layout 7 no table splits: its leaves stay as the release before made
 * them, so that its replay makes them again alike. */
static void a_table_of_layout_7_never_splits(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "layout", "version: 7\n", 11);
	put_pages(s, "res-%014x00", 0, 40);
	assert_null(alices(s, "depth"));
	assert_non_null(b = alices(s, "0/0"));
	assert_int_equal(strlen(b), 40 * 1039);
	free(b);
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(alices_rows(s), 40);
	assert_string_equal(b = got(s, "layout"), "version: 7\n");
	free(b);
	store_free(s);
}

/* A unit that split a table and is rolled back leaves the table as it was. */
static void a_split_rolled_back_leaves_the_table_as_it_was(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "layout", "version: 8\n", 11);
	put_pages(s, "res-%014x00", 0, 15);
	store_begin(s);
	put_page(s, "res-0000000000000f00"); /* splits */
	assert_non_null(b = alices(s, "depth"));
	free(b);
	store_rollback(s);
	assert_null(alices(s, "depth"));
	assert_non_null(b = alices(s, "0/0"));
	assert_int_equal(strlen(b), 15 * 1039);
	free(b);
	assert_null(alices(s, "0/0/5"));
	assert_int_equal(alices_rows(s), 15);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	assert_int_equal(sh("test \"$(git -C %1$s/.git ls-tree -r --name-only main mypage | sed 's|.*/alice/||')\" = 0/0"), 0);
}

/* A split moves the committed leaves the batch did not touch (found by the walk), those
 * it changed and those it made (found by name), each row into its leaf. */
static void a_split_moves_committed_leaves_and_the_batchs(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	struct kv row;
	const char *ids[] = {"res-00000000000000a1", "res-00000000000000b2", "res-00000000000001b2",
			     "res-00000000000000c3", "res-00000000000000d4"};

	store_put(s, "layout", "version: 8\n", 11);
	put_pages(s, "res-%014x00", 0, 15); /* 0/0: 15 rows */
	put_page(s, ids[0]); /* 1/a */
	put_page(s, ids[1]); /* 2/b */
	put_page(s, ids[3]); /* 3/c */
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	s = open_locked();
	put_page(s, ids[2]); /* 2/b, changed in the batch */
	put_page(s, ids[4]); /* 4/d, new in the batch */
	put_pages(s, "res-%014x00", 15, 16); /* 0/0 passes 16 KiB: the table splits */
	assert_int_equal(alices_rows(s), 21);
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		assert_int_equal(rec_row(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", ids[i], &row, &e), 0);
		kv_free(&row);
	}
	assert_int_equal(store_commit(s, "", &e), 0);
	assert_int_equal(alices_rows(s), 21);
	store_free(s);
	assert_int_equal(sh("git -C %1$s/.git fsck --strict --no-dangling 2>/dev/null && "
			    "test \"$(git -C %1$s/.git ls-tree -r --name-only main mypage | sed 's|.*/alice/||' | tr '\\n' ' ')\" = "
			    "'0/0/0 0/0/1 0/0/2 0/0/3 0/0/4 0/0/5 0/0/6 0/0/7 0/0/8 0/0/9 0/0/a 0/0/b 0/0/c 0/0/d 0/0/e 0/0/f "
			    "1/a/0 2/b/0 2/b/1 3/c/0 4/d/0 depth '"), 0);
}

/* A row found in a leaf that is not its own (damage, or a hand's edit) stops a split
 * as damage: moved by the leaf it was in, no read would find it again. */
static void a_row_in_another_leaf_stops_a_split(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char p[200], sh2[3], *b, *damaged;

	store_put(s, "layout", "version: 8\n", 11);
	put_pages(s, "res-%014x00", 0, 14);
	shard_name(sh2, "alice");
	snprintf(p, sizeof p, "mypage/customers/%s/alice/0/0", sh2);
	b = alices(s, "0/0");
	damaged = xasprintf("%sreservation=res-00000000000000a1\tnote=x\n", b); /* 1/a's row */
	store_put(s, p, damaged, strlen(damaged));
	free(damaged);
	free(b);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_begin(s);
	put_pages(s, "res-%014x00", 14, 16); /* passes 16 KiB */
	assert_int_equal(store_unit_failed(s, &e), -1);
	assert_int_equal(e.code, RX_IO);
	assert_non_null(strstr(e.msg, "/alice/0/0: damaged: a row whose reservation is not of this leaf"));
	store_rollback(s);
	store_free(s);
}

/* A split table dropped, filled again and split again in one batch; and a leaf at the
 * deepest a table goes grows instead. */
static void a_table_split_dropped_and_split_again_in_one_batch(void **state)
{
	struct store *s = open_locked();
	struct rerr e = {0};
	char *b;

	store_put(s, "layout", "version: 8\n", 11);
	put_pages(s, "res-%014x00", 0, 20);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	s = open_locked();
	assert_int_equal(rec_rows_drop(s, CTX_MYPAGE, OWNER_CUSTOMER, "alice", &e), 0);
	assert_int_equal(alices_rows(s), 0);
	put_pages(s, "res-%014x00", 100, 103); /* depth 2 again: 0/0 a file */
	assert_non_null(b = alices(s, "0/0"));
	free(b);
	assert_int_equal(alices_rows(s), 3);
	put_pages(s, "res-%013x000", 200, 240); /* all in 0/0, then all in 0/0/0 */
	assert_string_equal(b = alices(s, "depth"), "depth: 3\n");
	free(b);
	assert_non_null(b = alices(s, "0/0/0"));
	assert_int_equal(strlen(b), 40 * 1039);
	free(b);
	assert_int_equal(alices_rows(s), 43);
	assert_int_equal(store_commit(s, "", &e), 0);
	store_free(s);
	s = open_locked();
	assert_int_equal(alices_rows(s), 43);
	store_free(s);
	assert_int_equal(sh("git -C %1$s/.git fsck --strict --no-dangling 2>/dev/null && "
			    "test \"$(git -C %1$s/.git ls-tree -r --name-only main mypage | sed 's|.*/alice/||' | tr '\\n' ' ')\" = '0/0/0 0/0/4 0/0/5 0/0/6 depth '"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_commit_is_read_back_and_git_agrees, setup, teardown),
		cmocka_unit_test_setup_teardown(a_folder_left_empty_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(a_folder_made_and_emptied_in_one_commit_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_file_replaces_a_folder_of_its_name, setup, teardown),
		cmocka_unit_test_setup_teardown(a_pack_holds_only_what_the_batch_made, setup, teardown),
		cmocka_unit_test_setup_teardown(trees_are_stored_blobs_deflated, setup, teardown),
		cmocka_unit_test_setup_teardown(packs_merge_geometrically, setup, teardown),
		cmocka_unit_test_setup_teardown(an_object_two_batches_wrote_is_in_the_merge_once, setup, teardown),
		cmocka_unit_test_setup_teardown(what_git_writes_is_read, setup, teardown),
		cmocka_unit_test(hash_is_gits),
		cmocka_unit_test_setup_teardown(a_damaged_object_is_an_error_not_the_state, setup, teardown),
		cmocka_unit_test_setup_teardown(a_damaged_object_is_not_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(a_damaged_index_is_not_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(a_huge_size_claimed_is_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(a_delta_claiming_too_much_is_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(an_unreadable_record_fails_the_list, setup, teardown),
		cmocka_unit_test_setup_teardown(a_tree_that_does_not_parse_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(an_unreadable_config_fails_the_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(packs_are_read_only_as_the_umask_lets, setup, teardown),
		cmocka_unit_test_setup_teardown(a_unit_whose_read_failed_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(a_fifo_is_refused_without_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(a_batch_that_cannot_be_written_is_not_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(an_index_not_renamed_in_leaves_the_pack_of_its_name, setup, teardown),
		cmocka_unit_test_setup_teardown(what_a_store_read_is_kept_but_never_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_takes_back_one_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(second_lock_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(a_commit_killed_before_its_ref_is_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(a_commit_killed_after_its_ref_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(a_batch_main_was_set_back_from_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(a_mark_without_its_pack_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(a_merge_killed_half_way_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_scratch_store_merges_its_own_packs, setup, teardown),
		cmocka_unit_test_setup_teardown(a_reader_finds_objects_packed_after_it_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(ids_far_from_their_guess_are_found, setup, teardown),
		cmocka_unit_test_setup_teardown(a_ref_killed_before_its_rename_leaves_no_ref, setup, teardown),
		cmocka_unit_test_setup_teardown(diff_names_the_paths_that_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(an_owners_table_splits_deeper_as_it_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(a_leaf_splits_alone_as_deep_as_its_ids_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(a_table_of_layout_7_never_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(a_split_rolled_back_leaves_the_table_as_it_was, setup, teardown),
		cmocka_unit_test_setup_teardown(a_split_moves_committed_leaves_and_the_batchs, setup, teardown),
		cmocka_unit_test_setup_teardown(a_row_in_another_leaf_stops_a_split, setup, teardown),
		cmocka_unit_test_setup_teardown(a_table_split_dropped_and_split_again_in_one_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(a_long_folder_is_searched_by_halves, setup, teardown),
		cmocka_unit_test_setup_teardown(a_long_tree_out_of_order_is_damage, setup, teardown),
		cmocka_unit_test(par_does_each_item_once_on_two_threads),
		cmocka_unit_test(par_stops_at_the_first_error),
		cmocka_unit_test(par_stopped_takes_no_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
