/* init: making a new home: folders, settings, the admin and dispatcher keys, and the
 * genesis events that register them, applied at once by the dispatcher, the only
 * writer of state/ (so carctl does not load libgit2); or a replica, whose dispatcher
 * takes the primary's history. */
#include "git.h"
#include "gitsig.h"
#include "home.h"
#include "spool.h"
#include "url.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The key keys/NAME.key: the one an init stopped part way left, or a new one. An
 * empty one is none: its init died before its bytes were on disk, and before any
 * genesis event was signed with it. */
static int make_key(const struct home *h, const char *name, struct seckey *k, struct rerr *e)
{
	char *path = xasprintf("%s/%s.key", h->keys, name);
	struct stat st;
	int rc;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(path);
	if (fs_exists(path)) {
		rc = seckey_load(k, path, e);
	} else if ((rc = seckey_generate(k, e)) == 0 && (rc = seckey_save(k, path, e)) < 0) {
		seckey_free(k);
	}
	free(path);
	crash_point("init-key");
	return rc;
}

/* Whether spool/new holds the genesis event that registers name with pubkey pk (an
 * init stopped after spooling it): 1 yes, 0 no; -1 if it holds one for another key,
 * which would register a key that is not the one on disk. */
static int genesis_spooled(const struct home *h, const char *name, const char *pk, struct rerr *e)
{
	struct spool_list l;
	int found = 0;

	if (spool_list_new(&l, h->spool, (size_t)-1, e) < 0)
		return -1;
	for (size_t i = 0; i < l.n && found == 0; i++) {
		char *path = xasprintf("%s/new/%s", h->spool, l.names[i]), *buf = NULL;
		struct event ev;
		size_t len;
		event_init(&ev);
		const char *n, *p;
		if (fs_read(path, 1 << 16, &buf, &len, NULL) == 0 && event_parse(&ev, buf, len, path, NULL) == 0 &&
		    event_kind_of(&ev) == EV_KEY_ADD && (n = kv_get(&ev.f, "name")) && !strcmp(n, name))
			found = (p = kv_get(&ev.f, "pubkey")) && !strcmp(p, pk) ? 1
				: rerr_set(e, RX_DATA, "%s: registers another %s key than %s/%s.key; remove "
					   "it, or the key, and run init again", path, name, h->keys, name);
		event_free(&ev);
		free(buf);
		free(path);
	}
	spool_list_free(&l);
	return found;
}

/* The genesis: the admin registers itself, then the dispatcher's key. Run again on a
 * home whose state is not made yet, it keeps the keys and events it finds. */
static int write_genesis(const struct home *h, struct rerr *e)
{
	struct seckey admin, disp;
	char pk[SIG_PK_B64];
	struct event ev;
	int rc = -1;

	if (make_key(h, "admin", &admin, e) < 0)
		return -1;
	if (make_key(h, "dispatcher", &disp, e) < 0) {
		seckey_free(&admin);
		return -1;
	}
	const struct { const char *name, *role; const unsigned char *pk; } regs[] = {
		{"admin", "admin", admin.pk}, {"dispatcher", "system", disp.pk}};
	for (size_t i = 0; i < 2; i++) {
		sig_pk_b64(pk, regs[i].pk);
		if ((rc = genesis_spooled(h, regs[i].name, pk, e)) != 0) {
			if (rc < 0)
				break;
			rc = 0;
			continue;
		}
		event_init(&ev);
		event_start(&ev, "key.add", "admin");
		kv_set(&ev.f, "name", regs[i].name);
		kv_set(&ev.f, "role", regs[i].role);
		kv_set(&ev.f, "pubkey", pk);
		event_seal(&ev, &admin);
		rc = spool_write(h->spool, kv_get(&ev.f, "id"), ev.raw, ev.len, e);
		event_free(&ev);
		if (rc < 0)
			break;
		crash_point("init-event");
		usleep(1000); /* keeps the two in order of arrival */
	}
	seckey_free(&admin);
	seckey_free(&disp);
	crash_point("init-spooled");
	return rc;
}

static int make_dirs(const struct home *h, struct rerr *e)
{
	const char *subs[] = {"config", "spool/tmp", "spool/new", "spool/bad", "keys"};

	for (size_t i = 0; i < 5; i++) {
		char *p = xasprintf("%s/%s", h->root, subs[i]);
		int rc = fs_mkdirs(p, e);
		free(p);
		if (rc < 0)
			return -1;
	}
	if (chmod(h->keys, 0700) < 0)
		return rerr_set(e, RX_IO, "%s: %s", h->keys, strerror(errno));
	if (!fs_exists(h->config))
		return fs_write_atomic(h->config, cfg_default_text(), strlen(cfg_default_text()), 1, e);
	return 0;
}

/* Runs the dispatcher that sits beside this program on the new home, once. Its
 * messages are kept and returned if it fails, with its exit status, after what. */
static int run_dispatcher(const struct home *h, const char *what, struct rerr *e)
{
	char self[4096], *bin, *slash, msg[4096] = "";
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int fds[2], status;
	pid_t pid;

	if (n < 0)
		return rerr_set(e, RX_SOFTWARE, "/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	bin = xasprintf("%s/dispatcher", self);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		free(bin);
		return rerr_set(e, RX_SOFTWARE, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		execl(bin, "dispatcher", "--once", "--home", h->root, (char *)NULL);
		fprintf(stderr, "%s: %s", bin, strerror(errno));
		_exit(RX_SOFTWARE);
	}
	close(fds[1]);
	n = 0;
	for (ssize_t r; (r = read(fds[0], msg + n, sizeof msg - 1 - (size_t)n)) > 0;)
		n += r;
	msg[n] = '\0';
	/* Its last line says why it failed: the lines before tell what it did first. */
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	char *why = strrchr(msg, '\n');
	why = why ? why + 1 : msg;
	close(fds[0]);
	free(bin);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return rerr_set(e, WIFEXITED(status) ? WEXITSTATUS(status) : RX_SOFTWARE, "%s: %s: %s",
				h->root, what, why);
	return 0;
}

/* Whether the home's state has its first commit: an init stopped before it (killed,
 * or its dispatcher failed) is run again, not taken for a home. */
static int has_state(const struct home *h)
{
	char *git = xasprintf("%s/.git", h->state);
	struct gid main;
	int rc = git_ref_read(git, "refs/heads/main", &main, NULL) == 0;

	free(git);
	return rc;
}

/* Inits of one home take turns: each holds its keys folder locked from before its
 * keys until its first state is made, so that two at once do not each make an admin
 * key and sign a genesis with it. The lock's descriptor, or -1 (e). */
static int lock_init(const struct home *h, struct rerr *e)
{
	int fd = open(h->keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return rerr_set(e, RX_IO, "%s: %s", h->keys, strerror(errno));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return rerr_set(e, RX_IO, "%s: %s", h->keys, strerror(errno));
		}
	return fd;
}

/* Makes the home h with make, its inits taking turns: *created says whether this one
 * made it, or found it made by another while it waited. */
static int make_home(const struct home *h, int (*make)(const struct home *h, void *arg, struct rerr *e),
		     void *arg, int *created, struct rerr *e)
{
	int lock, rc = 0;

	*created = 0;
	if (make_dirs(h, e) < 0 || (lock = lock_init(h, e)) < 0)
		return -1;
	if (!has_state(h)) {
		*created = 1;
		rc = make(h, arg, e);
	}
	close(lock);
	return rc;
}

/* A primary: the genesis, applied by its dispatcher. */
static int make_primary(const struct home *h, void *arg, struct rerr *e)
{
	if (write_genesis(h, e) < 0 || store_init_repo(h->state, e) < 0 ||
	    run_dispatcher(h, "applying the genesis failed", e) < 0)
		return -1;
	if (!has_state(h))
		return rerr_set(e, RX_SOFTWARE, "%s: the dispatcher made no state", h->root);
	return 0;
}

/* A replica: an empty repository, what it follows, and its dispatcher's first round. */
static int make_replica(const struct home *h, void *arg, struct rerr *e)
{
	return store_init_repo(h->state, e) == 0 && home_replica_write(h, arg, e) == 0
		? run_dispatcher(h, "its first round of following failed", e) : -1;
}

/* A home without state/.git whose spool a dispatcher has served (its served-by, which
 * an init stopped before its repository never made) had a history: a new one would
 * judge the events waiting against an empty state. RX_CONFIG; 0 if none served it. */
static int spool_served_before(const struct home *h, struct rerr *e)
{
	char *git = xasprintf("%s/.git", h->state), *mark = xasprintf("%s/spool/served-by", h->root);
	int rc = 0;

	if (!fs_exists(git) && fs_exists(mark))
		rc = rerr_set(e, RX_CONFIG, "%s: its spool was served by a dispatcher (%s), but state/.git "
			      "is gone: put the home's repository back from a backup or a mirror "
			      "(rental(7), Backups); to make a new home here on purpose, remove %s",
			      h->root, mark, mark);
	free(git);
	free(mark);
	return rc;
}

int home_init(const char *dir, int *created, struct rerr *e)
{
	struct home h;
	int rc = 0;

	if (dir[0] == '\0')
		return rerr_set(e, RX_USAGE, "the home is an empty name");
	home_resolve(&h, dir);
	*created = 0;
	if (has_state(&h)) /* a repository whose HEAD an init stopped part way did not write */
		rc = store_init_repo(h.state, e);
	else if ((rc = home_state_misplaced(&h, e)) == 0 && (rc = spool_served_before(&h, e)) == 0)
		rc = make_home(&h, make_primary, NULL, created, e);
	home_free(&h);
	return rc;
}

/* The home url names (a path, or file://), resolved, where it names a primary's home
 * and not its state repository: a mistake no retry mends. NULL if it does not. */
static char *home_named(const char *url)
{
	const char *path = strncmp(url, "file://", 7) == 0 ? url + 7 : url_is_path(url) ? url : NULL;
	char *real = path ? realpath(path, NULL) : NULL;
	char *state = real ? xasprintf("%s/state/.git/HEAD", real) : NULL;
	char *head = real ? xasprintf("%s/HEAD", real) : NULL;

	if (real && !(fs_exists(state) && !fs_exists(head))) {
		free(real);
		real = NULL;
	}
	free(state);
	free(head);
	return real;
}

int home_init_replica(const char *dir, const char *url, const char *trust, int *created,
		      struct rerr *e)
{
	struct home h;
	struct replica r = {0};
	char *abs;
	int rc;

	*created = 0;
	if (dir[0] == '\0' || url[0] == '\0')
		return rerr_set(e, RX_USAGE, "%s is an empty name", dir[0] ? "the URL" : "the home");
	if (trust && gitsig_parse_pubkey(r.trust, trust) < 0)
		return rerr_set(e, RX_DATA, "--trust: %.60s: not an ed25519 public key (the key of the line "
				"'dispatcher --allowed-signers' prints on the primary)", trust);
	r.trusted = trust != NULL;
	snprintf(r.trusted_from, sizeof r.trusted_from, "--trust");
	if (url_absolute(url, NULL, &abs, e) < 0)
		return -1;
	if (strlen(abs) >= sizeof r.url) {
		free(abs);
		return rerr_set(e, RX_DATA, "%.60s...: too long a URL", url);
	}
	char *home = home_named(abs);
	if (home) {
		rerr_set(e, RX_DATA, "%s: a home, not its state repository: %s/state", url, home);
		free(home);
		free(abs);
		return -1;
	}
	snprintf(r.url, sizeof r.url, "%s", abs);
	free(abs);
	home_resolve(&h, dir);
	/* Until its first history is taken, init may be run again (another URL, another
	 * --trust): a key pinned from a history it refused is forgotten. */
	rc = has_state(&h) ? 0 : home_state_misplaced(&h, e) < 0 ? -1 : make_home(&h, make_replica, &r, created, e);
	home_free(&h);
	return rc;
}
