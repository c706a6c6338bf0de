/* replicate: pushing main to the remotes, and their lag (see replicate.h). A remote's
 * record is state/.git/rental-replicate/HASH, HASH a hash of its URL:
 *
 *   url: git://branch-2/state
 *   pushed: 3f1c...       the commit it was last given
 *   pushed_at: 1796524069
 *   tried_at: 1796524069
 *   tried: 3f1c...        main at that try
 *   error: ...            why the last try failed, if it did
 *
 * beside HASH.lock, held by the one process pushing to it. */
#include "replicate.h"
#include "git.h"
#include "kv.h"
#include "remote.h"
#include "transport.h"
#include "url.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define LAG_WALK_MAX 100000

/* The remote's record path, with suffix ("" or ".lock"). */
static char *record_path(const struct home *h, const char *url, const char *suffix)
{
	unsigned char hash[8];
	char hex[17];

	crypto_generichash(hash, sizeof hash, (const unsigned char *)url, strlen(url), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	return xasprintf("%s/.git/rental-replicate/%s%s", h->state, hex, suffix);
}

int replicate_state(const struct home *h, const char *url, struct remote_state *st,
		    struct rerr *e)
{
	char *path = record_path(h, url, ""), *buf = NULL;
	struct kv m;
	size_t len;
	int rc = fs_read(path, 1 << 16, &buf, &len, e);

	memset(st, 0, sizeof *st);
	free(path);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (kv_parse(&m, buf, len, "rental-replicate", NULL) == 0) {
		snprintf(st->pushed, sizeof st->pushed, "%s", kv_get(&m, "pushed") ?: "");
		snprintf(st->error, sizeof st->error, "%s", kv_get(&m, "error") ?: "");
		snprintf(st->tried, sizeof st->tried, "%s", kv_get(&m, "tried") ?: "");
		st->pushed_at = kv_num(&m, "pushed_at", 0);
		st->tried_at = kv_num(&m, "tried_at", 0);
		kv_free(&m);
	}
	free(buf);
	return 0;
}

static int write_state(const struct home *h, const char *url, const struct remote_state *st,
		       struct rerr *e)
{
	char *path = record_path(h, url, ""), *buf;
	struct kv m;
	size_t len;
	int rc;

	kv_init(&m);
	kv_set(&m, "url", url);
	if (st->pushed[0])
		kv_set(&m, "pushed", st->pushed);
	kv_setnum(&m, "pushed_at", st->pushed_at);
	kv_setnum(&m, "tried_at", st->tried_at);
	if (st->tried[0])
		kv_set(&m, "tried", st->tried);
	if (st->error[0])
		kv_set(&m, "error", st->error);
	buf = kv_format(&m, &len);
	rc = fs_write_atomic(path, buf, len, 0, e);
	free(buf);
	kv_free(&m);
	free(path);
	return rc;
}

static void set_error(struct remote_state *st, const char *why)
{
	snprintf(st->error, sizeof st->error, "%.300s", why);
	for (char *p = st->error; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* main's commit, hex ("" if none). */
static int main_hex(const struct home *h, char hex[41], struct rerr *e)
{
	char *gitdir = xasprintf("%s/.git", h->state);
	struct gid id;
	int rc = git_ref_read(gitdir, "refs/heads/main", &id, e);

	free(gitdir);
	hex[0] = '\0';
	if (rc == 0)
		gid_hex(hex, &id);
	return rc < 0 ? -1 : 0;
}

int replicate_note_failure(const struct home *h, const char *url, const char *why, struct rerr *e)
{
	struct remote_state st;

	if (replicate_state(h, url, &st, e) < 0)
		return -1;
	st.tried_at = (long long)time(NULL); /* tried: the pusher wrote the main it tried */
	set_error(&st, why);
	return write_state(h, url, &st, e);
}

/* Whether the remote of record st is to be given main, head: it lacks it as far as the
 * record says, or was not looked at for idle seconds, in which it may have lost it
 * (emptied, replaced, set back by hand). One that failed to take head is tried with it
 * again once idle seconds have passed, not at once (each push that ends wakes the
 * daemon); a newer main, at once. */
static int to_push(const struct remote_state *st, const char *head, int idle)
{
	long long since = (long long)time(NULL) - st->tried_at;

	if (!head[0] || (st->error[0] && strcmp(st->tried, head) == 0 && since < idle))
		return 0;
	return strcmp(st->pushed, head) != 0 || since >= idle;
}

int replicate_behind(const struct home *h, const struct cfg *c, struct rerr *e)
{
	struct remote_state st;
	char head[41];

	if (c->nremotes == 0 || main_hex(h, head, e) < 0)
		return c->nremotes == 0 ? 0 : -1;
	for (int i = 0; i < c->nremotes; i++) {
		if (replicate_state(h, c->remotes[i], &st, e) < 0)
			return -1;
		if (to_push(&st, head, replicate_timeout(c)))
			return 1;
	}
	return 0;
}

int replicate_timeout(const struct cfg *c)
{
	long t = c->max_lag_seconds / 2;

	return t < 1 ? 1 : t > 60 ? 60 : (int)t;
}

/* Pushes until url has main, holding its lock; with again, once at least: the record
 * says what was pushed, and the remote may have lost it since (a push asked for by
 * hand trusts the remote, not the record; so does one idle seconds after the last). */
static int push_locked(const struct home *h, const char *url, const unsigned char *signer, int idle,
		       int again, struct rerr *e)
{
	char *gitdir = xasprintf("%s/.git", h->state), head[41];
	struct remote_state st;
	int rc = 0;

	while (rc == 0 && (rc = main_hex(h, head, e)) == 0 && head[0] &&
	       (rc = replicate_state(h, url, &st, e)) == 0 && (again || to_push(&st, head, idle))) {
		again = 0;
		struct rerr why = {0};
		st.tried_at = (long long)time(NULL);
		snprintf(st.tried, sizeof st.tried, "%s", head);
		write_state(h, url, &st, NULL); /* the try's main, should it get no answer */
		if (push_main(gitdir, url, signer, idle, &why) < 0) {
			set_error(&st, why.msg);
			write_state(h, url, &st, NULL);
			*e = why;
			rc = -1;
			break;
		}
		/* url has main as it was read before the push, or a later commit */
		snprintf(st.pushed, sizeof st.pushed, "%s", head);
		st.pushed_at = (long long)time(NULL);
		st.error[0] = '\0';
		rc = write_state(h, url, &st, e);
	}
	free(gitdir);
	return rc;
}

static void wake(int sig)
{
	(void)sig;
}

/* Takes the remote's lock: 0, or -1 when another pusher holds it (with wait, still
 * after 2 x idle seconds, as long as it may take to give up: this one is busy then,
 * not failing). */
static int take_lock(int fd, int wait, int idle)
{
	struct sigaction sa = {0}, old;
	int rc;

	if (!wait)
		return flock(fd, LOCK_EX | LOCK_NB);
	sa.sa_handler = wake; /* without SA_RESTART: the alarm ends the wait (EINTR) */
	sigaction(SIGALRM, &sa, &old);
	alarm((unsigned)(2 * idle));
	rc = flock(fd, LOCK_EX);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return rc;
}

int replicate_push(const struct home *h, const char *url, const unsigned char *signer, int idle,
		   int wait, struct rerr *e)
{
	char *dir = xasprintf("%s/.git/rental-replicate", h->state), *lock = record_path(h, url, ".lock");
	char head[41];
	struct remote_state st;
	int fd, rc;

	/* its own folder alone: a state/.git missing is not made here (a folder made there
	 * would be taken for a home's) */
	rc = mkdir(dir, 0755) < 0 && errno != EEXIST ? rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno)) : 0;
	free(dir);
	for (;;) {
		if (rc < 0 || (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
			rc = rc < 0 ? rc : rerr_set(e, RX_IO, "%s: %s", lock, strerror(errno));
			break;
		}
		if (take_lock(fd, wait, idle) < 0) {
			close(fd);
			rc = 1; /* another pusher: it looks at main once more after letting go */
			break;
		}
		if (wait)
			alarm((unsigned)(2 * idle)); /* a push that hangs ends the process */
		rc = push_locked(h, url, signer, idle, wait, e);
		alarm(0);
		close(fd);
		/* A commit made after the last look, while a pusher that came meanwhile gave
		 * way to this one, is this one's to push; nothing else (a remote that failed
		 * waits its time: looking again at once would spin). */
		if (rc < 0 || main_hex(h, head, e) < 0 || replicate_state(h, url, &st, e) < 0 ||
		    !to_push(&st, head, idle))
			break;
	}
	free(lock);
	return rc;
}

int replicate_push_all(const struct home *h, const struct cfg *c, const unsigned char *signer, int wait,
		       struct push_result *res, struct rerr *e)
{
	pid_t pids[CFG_REMOTES_MAX];
	int rc = 0;

	for (int i = 0; i < c->nremotes; i++) {
		memset(&res[i], 0, sizeof res[i]);
		replicate_state(h, c->remotes[i], &res[i].before, NULL);
		pids[i] = fork();
		if (pids[i] < 0) {
			rc = rerr_set(e, RX_SOFTWARE, "fork: %s", strerror(errno));
			continue;
		}
		if (pids[i] == 0) {
			struct rerr why;
			signal(SIGALRM, SIG_DFL); /* no answer in time: this process ends */
			int r = replicate_push(h, c->remotes[i], signer, replicate_timeout(c), wait, &why);
			_exit(r == 0 ? 0 : r == 1 ? 2 : 1);
		}
	}
	for (int i = 0; i < c->nremotes; i++) {
		int status = 0;
		if (pids[i] < 0)
			continue;
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == RX_SOFTWARE)) {
			char why[200];
			if (WIFSIGNALED(status))
				snprintf(why, sizeof why, "%s: push: no answer for %d s", c->remotes[i],
					 replicate_timeout(c));
			else /* out_of_memory's end (util.c), which notes nothing */
				snprintf(why, sizeof why, "%s: push: out of memory", c->remotes[i]);
			replicate_note_failure(h, c->remotes[i], why, NULL);
		}
		replicate_state(h, c->remotes[i], &res[i].after, NULL);
		res[i].outcome = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? PUSH_DONE
			: WIFEXITED(status) && WEXITSTATUS(status) == 2 ? PUSH_BUSY : PUSH_FAILED;
	}
	return rc;
}

pid_t replicate_spawn(const char *self, const struct home *h, int log, struct rerr *e)
{
	char *argv[] = {"dispatcher", "--push", "--quiet", "--home", h->root, NULL};
	posix_spawn_file_actions_t fa;
	extern char **environ;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!log)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return rerr_set(e, RX_SOFTWARE, "%s: %s", self, strerror(rc));
	return pid;
}

int replicate_lag(const struct home *h, const char *url, long long *lag, long *commits,
		  struct rerr *e)
{
	struct remote_state st;
	struct gitrepo *r = NULL;
	struct gid at, pushed;
	char head[41], *gitdir = xasprintf("%s/.git", h->state);
	long long oldest = 0;
	int rc = -1, has_pushed;

	*lag = 0;
	*commits = 0;
	if (replicate_state(h, url, &st, e) < 0 || main_hex(h, head, e) < 0)
		goto out;
	rc = 0;
	if (head[0] == '\0' || strcmp(head, st.pushed) == 0)
		goto out;
	has_pushed = gid_parse(&pushed, st.pushed) == 0;
	gid_parse(&at, head);
	if ((rc = gitrepo_open(&r, gitdir, e)) < 0)
		goto out;
	/* From main back to the commit the remote has: the oldest one it lacks. */
	while (*commits < LAG_WALK_MAX && !(has_pushed && gid_cmp(&at, &pushed) == 0)) {
		struct git_commit_info c;
		enum git_type t;
		char *buf;
		size_t len;
		if ((rc = git_read(r, &at, &t, &buf, &len, e)) != 0)
			break;
		rc = t == GIT_COMMIT ? git_commit_parse(buf, len, &c) : -1;
		free(buf);
		if (rc < 0)
			break;
		++*commits;
		oldest = c.time;
		if (c.nparents == 0)
			break;
		at = c.parent;
	}
	if (rc == 1)
		rc = 0; /* a commit missing: the lag up to it */
	*lag = rc == 0 && oldest ? (long long)time(NULL) - oldest : 0;
	if (*lag < 0)
		*lag = 0;
out:
	gitrepo_free(r);
	free(gitdir);
	return rc < 0 ? -1 : 0;
}
