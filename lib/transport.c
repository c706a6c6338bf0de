/* transport: libgit2's remotes, for main alone (see transport.h). ssh:// signs in with
 * the ssh agent, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa, and checks the host in
 * ~/.ssh/known_hosts (libgit2's default). */
#include "transport.h"
#include "remote.h"
#include "url.h"
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAIN "refs/heads/main"

struct session {
	int tries;         /* credentials offered so far */
	int rsa;           /* ~/.ssh/id_rsa was offered */
	char status[256];  /* a ref the remote refused, and why */
	int idle;          /* seconds allowed without progress */
};

/* Offers the ssh agent (where there is one), then each default key file, once each. */
static int credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload)
{
	static const char *const files[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	struct session *s = payload;
	const char *user = user_from_url ? user_from_url : getenv("USER") ? getenv("USER") : "git";
	const char *home = getenv("HOME");

	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	while (s->tries <= 3) {
		int i = s->tries++;
		if (i == 0) {
			/* Without an agent to ask, libssh2 fails the whole sign-in: skip it. */
			if (getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK"))
				return git_credential_ssh_key_from_agent(out, user);
			continue;
		}
		char *priv = xasprintf("%s/.ssh/%s", home ? home : "", files[i - 1]);
		int rc = -1;
		if (home && fs_exists(priv)) {
			char *pub = xasprintf("%s.pub", priv);
			rc = git_credential_ssh_key_new(out, user, fs_exists(pub) ? pub : NULL, priv, NULL);
			s->rsa |= rc == 0 && strcmp(files[i - 1], "id_rsa") == 0;
			free(pub);
		}
		free(priv);
		if (rc == 0)
			return 0;
	}
	return GIT_PASSTHROUGH;
}

/* Any sign of progress gives the remote its idle seconds again. */
static int progressed(struct session *s)
{
	if (s->idle > 0)
		alarm((unsigned)s->idle);
	return 0;
}

static int on_message(const char *str, int len, void *payload)
{
	return progressed(payload);
}

static int on_push_transfer(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	return progressed(payload);
}

static int on_pack(int stage, uint32_t current, uint32_t total, void *payload)
{
	return progressed(payload);
}

static int on_fetch_transfer(const git_indexer_progress *stats, void *payload)
{
	return progressed(payload);
}

static void set_callbacks(git_remote_callbacks *cb, struct session *s)
{
	cb->credentials = credentials;
	cb->sideband_progress = on_message;
	cb->push_transfer_progress = on_push_transfer;
	cb->pack_progress = on_pack;
	cb->transfer_progress = on_fetch_transfer;
	cb->payload = s;
	progressed(s);
}

static int push_status(const char *ref, const char *status, void *payload)
{
	struct session *s = payload;

	if (status)
		snprintf(s->status, sizeof s->status, "%s: %s", ref, status);
	return 0;
}

/* e from libgit2's last error; RX_TEMP for what a later try may get past. */
static int git_fail(struct rerr *e, const char *url, const char *what)
{
	const git_error *g = git_error_last();
	char msg[300];

	snprintf(msg, sizeof msg, "%s", g && g->message ? g->message : "failed");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return rerr_set(e, RX_TEMP, "%s: %s: %s", url, what, msg);
}

/* libgit2 set up (counted: a process sets it up at its first call, then keeps it). */
static int set_up(struct rerr *e)
{
	/* Fsynced: a fetched pack, its index and their folder are on disk before main moves
	 * onto them (libgit2 writes them unsynced unless told). */
	if (git_libgit2_init() < 0 || git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
		return rerr_set(e, RX_SOFTWARE, "libgit2: cannot initialise");
	return 0;
}

static int open_remote(git_repository **repo, git_remote **remote, const char *gitdir,
		       const char *url, const char *what, struct rerr *e)
{
	struct stat st;

	*repo = NULL;
	*remote = NULL;
	/* A path that is not there: libgit2 would call it an unsupported protocol. It may
	 * yet come (a mount), so a later try may get past it, as a silent host's. */
	if (url[0] == '/' && stat(url, &st) < 0)
		return rerr_set(e, RX_TEMP, "%s: %s: no repository there: %s", url, what, strerror(errno));
	if (set_up(e) < 0)
		return -1;
	if (git_repository_open_bare(repo, gitdir) < 0)
		return git_fail(e, gitdir, "open");
	/* The URL as given: no url.insteadOf of a git config applies (and libgit2 1.5
	 * leaks the matches of the regular expressions it looks them up with). */
	git_remote_create_options o = GIT_REMOTE_CREATE_OPTIONS_INIT;
	o.repository = *repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(remote, url, &o) < 0)
		return git_fail(e, url, "not a git URL");
	return 0;
}

static void close_remote(git_repository *repo, git_remote *remote)
{
	git_remote_free(remote);
	git_repository_free(repo); /* libgit2 stays set up: the process follows again soon */
}

int transport_push(const char *gitdir, const char *url, int idle, struct rerr *e)
{
	git_repository *repo;
	git_remote *remote;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	struct session s = {.idle = idle};
	char *spec = MAIN ":" MAIN;
	git_strarray refs = {&spec, 1};
	int rc;

	set_callbacks(&po.callbacks, &s);
	po.callbacks.push_update_reference = push_status;
	rc = open_remote(&repo, &remote, gitdir, url, "push", e);
	if (rc == 0 && git_remote_push(remote, &refs, &po) < 0)
		rc = git_fail(e, url, "push");
	if (rc == 0 && s.status[0])
		rc = rerr_set(e, RX_REFUSED, "%s: push refused: %s", url, s.status);
	close_remote(repo, remote);
	alarm(0);
	return rc;
}

/* A fetch that failed writing here (an error of this process's own system calls, not
 * words of the remote): the disk full, or what the remote sent larger than the child
 * may write (fetch_room), is this home's I/O error (74), not a silent remote. */
static int local_fault(struct rerr *e, const char *url, uint64_t room)
{
	if (strstr(e->msg, strerror(EFBIG)))
		return rerr_set(e, RX_IO, "%s: fetch: what it sends is larger than the %llu MiB a fetch "
				"may write here (it leaves a tenth of the disk free)", url,
				(unsigned long long)(room >> 20));
	if (strstr(e->msg, strerror(ENOSPC)) || strstr(e->msg, strerror(EDQUOT)) ||
	    strstr(e->msg, strerror(EROFS)))
		e->code = RX_IO;
	return -1;
}

/* libgit2's last error, and whether it was one of this process's system calls. */
static int fetch_fail(struct rerr *e, const char *url, uint64_t room)
{
	const git_error *g = git_error_last();
	int os = g && g->klass == GIT_ERROR_OS;

	git_fail(e, url, "fetch");
	return os ? local_fault(e, url, room) : -1;
}

/* The fetch itself, in the process that asks. */
static int fetch_here(const char *gitdir, const char *url, const char *have, char tip[41],
		      int idle, uint64_t room, struct rerr *e)
{
	git_repository *repo;
	git_remote *remote;
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	const git_remote_head **heads;
	struct session s = {.idle = idle};
	char *spec = MAIN;
	git_strarray refs = {&spec, 1};
	size_t n = 0;
	int rc;

	tip[0] = '\0';
	if (url_is_path(url) && (rc = path_fetch(gitdir, url, idle, room, tip, e)) != 2) {
		/* read with the project's reader (see remote.h): its writes' faults are e's */
		if (rc < 0 && e->code == RX_IO)
			local_fault(e, url, room);
		return rc;
	}
	set_callbacks(&cb, &s);
	rc = open_remote(&repo, &remote, gitdir, url, "fetch", e);
	if (rc == 0 && git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0)
		rc = fetch_fail(e, url, room);
	if (rc == 0 && git_remote_ls(&heads, &n, remote) < 0)
		rc = fetch_fail(e, url, room);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strcmp(heads[i]->name, MAIN) == 0)
			git_oid_tostr(tip, 41, &heads[i]->oid);
	if (rc == 0 && tip[0] == '\0')
		rc = 1;
	fo.callbacks = cb;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	if (rc == 0 && strcmp(tip, have) != 0 && git_remote_download(remote, &refs, &fo) < 0)
		rc = fetch_fail(e, url, room);
	const git_error *g = git_error_last();
	/* libssh2 1.10 signs with RSA and SHA-1 (ssh-rsa) alone: said where signing in failed */
	if (rc < 0 && s.rsa && g && g->klass == GIT_ERROR_SSH && g->message && strstr(g->message, "authentic")) {
		char msg[sizeof e->msg];
		snprintf(msg, sizeof msg, "%s", e->msg);
		rerr_set(e, e->code, "%.300s (with ~/.ssh/id_rsa: a fetch signs in with ssh-rsa, SHA-1, "
			 "which OpenSSH 8.8 and later refuse; an ed25519 or ecdsa key signs in)", msg);
	}
	if (remote)
		git_remote_disconnect(remote);
	close_remote(repo, remote);
	alarm(0);
	return rc;
}

/* What a fetch may write into dir, in bytes: the room there but a tenth of the disk, so
 * that a remote sending without end leaves the disk to the rest, round after round (a
 * round that needs more fails, said; what a failed round wrote may stay). */
static rlim_t fetch_room(const char *dir)
{
	struct statvfs v;

	/* a file system that says no size (tmpfs of size 0, FUSE): no bound to tell */
	if (statvfs(dir, &v) < 0 || v.f_blocks == 0)
		return RLIM_INFINITY;
	if (v.f_bavail <= v.f_blocks / 10)
		return 0;
	return (rlim_t)(v.f_bavail - v.f_blocks / 10) * v.f_frsize;
}

/* What the fetching child tells its parent. */
struct answer {
	int rc;
	char tip[41];
	struct rerr e;
};

/* What a fetch may take of memory (its heap and stacks; mapped pack files aside), in
 * MiB: half the machine's, and no more than the process may. A first fetch of millions
 * of objects needs some GiB for their index; a pack built to grow without end (deltas
 * of deltas) stops there, and leaves the machine's other half to the rest of it. */
static long fetch_memory(void)
{
	struct rlimit rl;
	long half = sysconf(_SC_PHYS_PAGES) / 2 / (1048576 / sysconf(_SC_PAGESIZE));

	if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)(rl.rlim_cur >> 20) < half)
		return (long)(rl.rlim_cur >> 20);
	return half;
}

/* The child's side: limited, ended by the remote's silence (SIGALRM's default) or by
 * its parent's end, it fetches and writes its answer to fd. */
static void fetch_child(int fd, pid_t parent, const char *gitdir, const char *url, const char *have,
			int idle)
{
	struct rlimit rl;
	struct answer a = {0};

	signal(SIGALRM, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	if (getrlimit(RLIMIT_DATA, &rl) < 0)
		_exit(1);
	rl.rlim_cur = (rlim_t)fetch_memory() << 20;
#ifdef __SANITIZE_ADDRESS__
	rl.rlim_cur = rl.rlim_max; /* AddressSanitizer's shadow, mapped at start, counts */
#endif
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || setrlimit(RLIMIT_DATA, &rl) < 0)
		_exit(1);
	/* A write past the room fails (EFBIG), rather than ending the child (SIGXFSZ). */
	char *packdir = xasprintf("%s/objects/pack", gitdir);
	rl.rlim_cur = rl.rlim_max = fetch_room(packdir);
	free(packdir);
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		_exit(1);
	a.rc = fetch_here(gitdir, url, have, a.tip, idle, rl.rlim_cur, &a.e);
	_exit(write(fd, &a, sizeof a) == (ssize_t)sizeof a ? 0 : 1);
}

/* Why a child that gave no answer ended. */
static int child_failed(int status, const char *url, int idle, struct rerr *e)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		return rerr_set(e, RX_TEMP, "%s: fetch: no answer for %d s", url, idle);
	if (WIFEXITED(status) && WEXITSTATUS(status) == RX_SOFTWARE) /* out_of_memory's (util.c) */
		return rerr_set(e, RX_TEMP, "%s: fetch: Out of memory (what the remote sent needs "
				"more than the %ld MiB a fetch may take)", url, fetch_memory());
	if (WIFSIGNALED(status))
		return rerr_set(e, RX_TEMP, "%s: fetch: ended by signal %d (what the remote sent may "
				"need more than the %ld MiB a fetch may take)", url, WTERMSIG(status), fetch_memory());
	return rerr_set(e, RX_TEMP, "%s: fetch: failed (what the remote sent may need more than "
			"the %ld MiB a fetch may take)", url, fetch_memory());
}

/* The fetch runs in a child process, so that what a remote sends costs this process
 * nothing: the child may take fetch_memory() at most, and the caller's stop (set by its
 * SIGTERM handler, which interrupts the wait) ends it at once. */
int transport_fetch(const char *gitdir, const char *url, const char *have, char tip[41],
		    int idle, const volatile sig_atomic_t *stop, struct rerr *e)
{
	struct answer a;
	int fds[2], status = 0;
	size_t got = 0;
	pid_t pid, parent = getpid();

	tip[0] = '\0';
	if (set_up(e) < 0) /* here, so that no child pays for it again */
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return rerr_set(e, RX_SOFTWARE, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return rerr_set(e, RX_SOFTWARE, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		fetch_child(fds[1], parent, gitdir, url, have, idle);
	}
	close(fds[1]);
	while (got < sizeof a && !(stop && *stop)) {
		/* A stop that comes between the test and the wait is seen within a second. */
		struct pollfd pf = {fds[0], POLLIN, 0};
		int ready = poll(&pf, 1, 1000);
		if (ready < 0 && errno != EINTR)
			break;
		if (ready <= 0)
			continue;
		ssize_t r = read(fds[0], (char *)&a + got, sizeof a - got);
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
		got += r > 0 ? (size_t)r : 0;
	}
	close(fds[0]);
	if (got < sizeof a)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < sizeof a)
		return stop && *stop ? rerr_set(e, RX_TEMP, "%s: fetch: stopped", url)
				     : child_failed(status, url, idle, e);
	memcpy(tip, a.tip, sizeof a.tip);
	if (a.rc < 0 && e)
		*e = a.e;
	return a.rc;
}
