/* remote: main's history copied to or from a remote, reading what changed only (see
 * remote.h). Over git:// and ssh://, the protocol is git's receive-pack
 * (gitprotocol-pack, gitprotocol-common): pkt-lines, each four hex digits of length
 * then its bytes, "0000" a flush. */
#include "remote.h"
#include "gitsig.h"
#include "git.h"
#include "transport.h"
#include "url.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REF_MAIN "refs/heads/main"
#define STEP_BYTES ((size_t)16 << 20) /* objects' bytes a step's pack holds, about */

/* A remote as a push speaks to it. */
struct remote {
	const char *url, *verb; /* verb: "push" or "fetch", for messages */
	enum { R_PATH, R_GIT, R_SSH } kind;
	char *path; /* the repository: here (R_PATH) or as the far end names it */
	char *host, *port, *user;
	int in, out; /* the far end's receive-pack: read from in, write to out */
	int spoke; /* a command was sent on this connection */
	pid_t ssh;
	FILE *ssh_err; /* what ssh says on its stderr, for the message when it fails */
	int idle;
	struct gid main; /* the remote's main, as it said last */
	int has_main;
	char *pkt; /* the last pkt-line read (65,521 bytes: not on the stack) */
};

static void progressed(const struct remote *r)
{
	if (r->idle > 0)
		alarm((unsigned)r->idle);
}

/* ---- the remote's URL ---- */

/* Splits "[user@]host[:port]" (port only with allow_port) into r. */
static void split_host(struct remote *r, const char *s, size_t n, int allow_port)
{
	const char *at = memchr(s, '@', n), *colon;

	if (at) {
		r->user = xstrndup(s, (size_t)(at - s));
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	/* [::1]:port: an IPv6 address in brackets, which hold its colons */
	const char *close = n > 0 && s[0] == '[' ? memchr(s, ']', n) : NULL;
	colon = allow_port ? memchr(close ? close : s, ':', n - (size_t)((close ? close : s) - s)) : NULL;
	if (close)
		r->host = xstrndup(s + 1, (size_t)(close - s - 1));
	else
		r->host = xstrndup(s, colon ? (size_t)(colon - s) : n);
	if (colon)
		r->port = xstrndup(colon + 1, n - (size_t)(colon + 1 - s));
}

/* Fills r from url: 1 a URL this push speaks, 0 another (libgit2's to push). */
static int parse_url(struct remote *r, const char *url)
{
	const char *slash, *colon = strchr(url, ':');

	memset(r, 0, sizeof *r);
	r->url = url;
	r->verb = "push";
	r->in = r->out = -1;
	if (strncmp(url, "git://", 6) == 0 || strncmp(url, "ssh://", 6) == 0) {
		r->kind = url[0] == 'g' ? R_GIT : R_SSH;
		if ((slash = strchr(url + 6, '/')) == NULL)
			return 0;
		split_host(r, url + 6, (size_t)(slash - url - 6), 1);
		/* ssh://host/~user/path: a path from a home, as git reads it */
		r->path = xstrdup(r->kind == R_SSH && slash[1] == '~' ? slash + 1 : slash);
		return 1;
	}
	if (url_is_path(url)) {
		r->kind = R_PATH;
		r->path = xstrdup(strncmp(url, "file://", 7) == 0 ? url + 7 : url);
		return 1;
	}
	if (strstr(url, "://"))
		return 0;
	r->kind = R_SSH; /* scp's form, [user@]host:path */
	split_host(r, url, (size_t)(colon - url), 0);
	r->path = xstrdup(colon + 1);
	return 1;
}

static int write_all(struct remote *r, const char *buf, size_t n);

static void remote_close(struct remote *r)
{
	int status;

	if (r->out >= 0 && !r->spoke)
		write_all(r, "0000", 4); /* no command: receive-pack ends without a word */
	r->spoke = 0;
	if (r->out >= 0 && r->out != r->in)
		close(r->out);
	if (r->in >= 0)
		close(r->in);
	r->in = r->out = -1;
	if (r->ssh > 0) { /* it ends with receive-pack, whose input ended (the alarm waits) */
		while (waitpid(r->ssh, &status, 0) < 0 && errno == EINTR)
			;
		r->ssh = 0;
	}
	if (r->ssh_err)
		fclose(r->ssh_err);
	r->ssh_err = NULL;
}

static void remote_free(struct remote *r)
{
	remote_close(r);
	free(r->path);
	free(r->host);
	free(r->port);
	free(r->user);
	free(r->pkt);
}

/* ---- pkt-lines ---- */

/* Waits until the far end says something. Meanwhile, our bytes leaving a socket's
 * queue are progress: on a slow link the pack is still on its way, though every write
 * went through long ago (into the queue), and the far end answers only at its end. */
static void wait_answer(struct remote *r)
{
	struct pollfd p = {r->in, POLLIN, 0};
	int queued = -1, now;

	while (poll(&p, 1, 200) == 0) /* looked at well within the shortest silence, 1 s */
		if (r->kind == R_GIT && ioctl(r->out, SIOCOUTQ, &now) == 0) {
			if (now < queued)
				progressed(r);
			queued = now;
		}
}

static int read_all(struct remote *r, char *buf, size_t n)
{
	while (n > 0) {
		wait_answer(r);
		ssize_t got = read(r->in, buf, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		progressed(r);
		buf += got;
		n -= (size_t)got;
	}
	return 0;
}

static int write_all(struct remote *r, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t put = write(r->out, buf, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		progressed(r);
		buf += put;
		n -= (size_t)put;
	}
	return 0;
}

/* Reads one pkt-line into *line (r's, NUL-terminated, its newline dropped): its
 * length, 0 for a flush, -1 if the far end is gone or sent no pkt-line. */
static int pkt_read(struct remote *r, char **line)
{
	char head[5] = "", *buf = r->pkt ? r->pkt : (r->pkt = xcalloc(1, 65521));
	unsigned len;

	*line = buf;
	if (read_all(r, head, 4) < 0 || sscanf(head, "%4x", &len) != 1 || (len > 0 && len < 4) || len > 65520)
		return -1;
	if (len == 0)
		return 0;
	len -= 4;
	if (read_all(r, buf, len) < 0)
		return -1;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (int)len + (len == 0); /* an empty line is not a flush */
}

static int pkt_write(struct remote *r, const char *data, size_t len)
{
	char head[5];

	snprintf(head, sizeof head, "%04zx", len + 4);
	return write_all(r, head, 4) < 0 || write_all(r, data, len) < 0 ? -1 : 0;
}

/* ---- reaching the far end ---- */

static int gone(struct remote *r, struct rerr *e)
{
	return rerr_set(e, RX_TEMP, "%s: push: the remote hung up", r->url);
}

static int connect_git(struct remote *r, struct rerr *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *a;
	int fd = -1, rc = getaddrinfo(r->host, r->port ? r->port : "9418", &hints, &ai);

	if (rc != 0)
		return rerr_set(e, RX_TEMP, "%s: push: %s: %s", r->url, r->host, gai_strerror(rc));
	for (a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			rc = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return rerr_set(e, RX_TEMP, "%s: push: %s: %s", r->url, r->host, strerror(rc ? rc : errno));
	r->in = r->out = fd;
	char *req = xasprintf("git-receive-pack %s%chost=%s%c", r->path, 0, r->host, 0);
	size_t len = strlen(req) + 1;
	len += strlen(req + len) + 1;
	rc = pkt_write(r, req, len);
	free(req);
	return rc < 0 ? gone(r, e) : 0;
}

/* The path quoted for the far end's shell, as git quotes it: '...', a ' as '\''. */
static char *shell_quote(const char *s)
{
	char *out = xcalloc(1, 4 * strlen(s) + 3), *o = out;

	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o = '\'';
	return out;
}

/* ssh's command line, as git runs it, with what libgit2's fetch uses too: the known
 * hosts and default keys under $HOME/.ssh (ssh itself looks in the password file's
 * home), the agent where SSH_AUTH_SOCK names one, and no question asked. The strings
 * made for it go to own: how many, which the caller frees. */
static int ssh_argv(const struct remote *r, char *argv[24], char *own[8])
{
	static const char *const keys[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	const char *home = getenv("HOME");
	char *quoted = shell_quote(r->path);
	int n = 0, k = 0;

	argv[n++] = "ssh";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = "StrictHostKeyChecking=yes";
	if (home && *home) {
		argv[n++] = "-o";
		argv[n++] = own[k++] = xasprintf("UserKnownHostsFile=%s/.ssh/known_hosts", home);
		for (int i = 0; i < 3; i++) {
			char *f = xasprintf("%s/.ssh/%s", home, keys[i]);
			if (fs_exists(f)) {
				argv[n++] = "-i";
				argv[n++] = own[k++] = f;
			} else {
				free(f);
			}
		}
	}
	if (r->port) {
		argv[n++] = "-p";
		argv[n++] = r->port;
	}
	if (r->user) {
		argv[n++] = "-l";
		argv[n++] = r->user;
	}
	argv[n++] = "--";
	argv[n++] = r->host;
	argv[n++] = own[k++] = xasprintf("git-receive-pack %s", quoted);
	argv[n] = NULL;
	free(quoted);
	return k;
}

/* Starts ssh, its input and output piped to r, its stderr kept in r->ssh_err. */
static int connect_ssh(struct remote *r, struct rerr *e)
{
	char *argv[24], *own[8];
	int k = ssh_argv(r, argv, own), to[2] = {-1, -1}, from[2] = {-1, -1}, rc;
	pid_t parent = getpid();

	if ((r->ssh_err = tmpfile()) != NULL && pipe2(to, O_CLOEXEC) == 0 && pipe2(from, O_CLOEXEC) == 0 &&
	    (r->ssh = fork()) == 0) {
		/* ssh ends with the pusher, whatever ends it (the alarm of a silent remote) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		dup2(to[0], 0);
		dup2(from[1], 1);
		dup2(fileno(r->ssh_err), 2);
		execvp("ssh", argv);
		fprintf(stderr, "cannot run ssh: %s\n", strerror(errno));
		_exit(127);
	}
	rc = r->ssh > 0 ? 0 : rerr_set(e, RX_SOFTWARE, "%s: push: ssh: %s", r->url, strerror(errno));
	for (int i = 0; i < k; i++)
		free(own[i]);
	if (rc < 0)
		r->ssh = 0;
	for (int i = 0; i < 2; i++) { /* the ends ssh holds; all of them if it never ran */
		if (to[i] >= 0 && (i == 0 || rc < 0))
			close(to[i]);
		if (from[i] >= 0 && (i == 1 || rc < 0))
			close(from[i]);
	}
	if (rc == 0) {
		r->out = to[1];
		r->in = from[0];
	}
	return rc;
}

/* The last line ssh wrote on its stderr ("" none), into buf. */
static const char *ssh_said(struct remote *r, char *buf, size_t size)
{
	long end;
	size_t got = 0;

	buf[0] = '\0';
	if (r->ssh_err && fseek(r->ssh_err, 0, SEEK_END) == 0 && (end = ftell(r->ssh_err)) > 0) {
		long from = end > (long)size - 1 ? end - (long)size + 1 : 0;
		if (fseek(r->ssh_err, from, SEEK_SET) == 0)
			got = fread(buf, 1, size - 1, r->ssh_err);
	}
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		buf[--got] = '\0';
	char *nl = strrchr(buf, '\n');
	return nl ? nl + 1 : buf;
}

/* Reads what receive-pack says first: its refs, main's id among them. */
static int read_refs(struct remote *r, struct rerr *e)
{
	char *buf;
	int len;

	r->has_main = 0;
	while ((len = pkt_read(r, &buf)) > 0) {
		if (strncmp(buf, "ERR ", 4) == 0)
			return rerr_set(e, RX_TEMP, "%s: push: the remote says: %s", r->url, buf + 4);
		if (strlen(buf) > 41 && buf[40] == ' ' && strcmp(buf + 41, REF_MAIN) == 0 &&
		    gid_parse(&r->main, buf) == 0)
			r->has_main = 1;
	}
	if (len < 0 && r->ssh > 0) {
		int status;
		while (waitpid(r->ssh, &status, 0) < 0 && errno == EINTR)
			;
		r->ssh = 0;
		char line[400];
		const char *said = ssh_said(r, line, sizeof line);
		return rerr_set(e, RX_TEMP, "%s: push: ssh (exit %d): %s", r->url,
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				*said ? said : "it said nothing");
	}
	return len < 0 ? gone(r, e) : 0;
}

/* The first 64 KiB of a path remote's config, read blocking, as git opens it (a remote
 * on a mount that hangs hangs here, until the alarm). NULL if it cannot be read. */
static char *read_config(const char *path)
{
	char *buf = xcalloc(1, 65537);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, buf, 65536);

	if (fd >= 0)
		close(fd);
	if (got < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Whether a config's extensions.objectformat, if set, is sha1. */
static int sha1_objects(const char *config)
{
	const char *v = strcasestr(config, "objectformat");

	if (v == NULL)
		return 1;
	v += strlen("objectformat");
	v += strspn(v, " \t");
	if (*v++ != '=')
		return 1; /* another key that ends so */
	v += strspn(v, " \t\"");
	return strncasecmp(v, "sha1", 4) == 0;
}

/* A path remote: a git repository here (PATH, or PATH/.git as git finds it), whose
 * objects are SHA-1's. */
static int open_path(struct remote *r, struct rerr *e)
{
	struct stat st;
	char *dotgit = xasprintf("%s/.git/HEAD", r->path), *head = xasprintf("%s/HEAD", r->path);
	char *config, *buf = NULL;
	int rc = 0;

	if (!fs_exists(head) && fs_exists(dotgit)) {
		char *inner = xasprintf("%s/.git", r->path);
		free(r->path);
		r->path = inner;
		free(head);
		head = xstrdup(dotgit);
	}
	free(dotgit);
	config = xasprintf("%s/config", r->path);
	if (stat(r->path, &st) < 0)
		rc = rerr_set(e, RX_TEMP, "%s: %s: no repository there: %s", r->url, r->verb, strerror(errno));
	else if (!fs_exists(head) || (buf = read_config(config)) == NULL)
		rc = rerr_set(e, RX_TEMP, "%s: %s: not a git repository (no HEAD or config)", r->url, r->verb);
	else if (!sha1_objects(buf))
		rc = rerr_set(e, RX_TEMP, "%s: %s: its objects are not named by SHA-1 "
			      "(extensions.objectformat)", r->url, r->verb);
	free(buf);
	free(config);
	free(head);
	if (rc == 0) {
		struct gid id;
		int got = git_ref_read(r->path, REF_MAIN, &id, e);
		if (got < 0)
			return -1;
		r->has_main = got == 0;
		r->main = id;
	}
	return rc;
}

static int remote_open(struct remote *r, struct rerr *e)
{
	progressed(r);
	if (r->kind == R_PATH)
		return open_path(r, e);
	if ((r->kind == R_GIT ? connect_git(r, e) : connect_ssh(r, e)) < 0)
		return -1;
	return read_refs(r, e);
}

/* ---- what a push or a fetch copies ---- */

/* The objects gathered for one pack (a step), and their bytes. */
struct step {
	struct gitrepo *repo;
	struct gitpack_new pack;
	size_t bytes;
};

/* Reads object id, which must be a want. */
static int read_as(struct gitrepo *repo, const struct gid *id, enum git_type want, char **data,
		   size_t *len, struct rerr *e)
{
	enum git_type t;
	char hex[41];
	int rc = git_read(repo, id, &t, data, len, e);

	if (rc == 0 && t == want)
		return 0;
	if (rc == 0)
		free(*data);
	gid_hex(hex, id);
	return rc < 0 ? -1 : rerr_set(e, RX_IO, "object %s is missing", hex);
}

/* Adds object id, read as it is stored. */
static int add(struct step *s, const struct gid *id, enum git_type type, struct rerr *e)
{
	struct gid same;
	char *data;
	size_t len;

	if (read_as(s->repo, id, type, &data, &len, e) < 0)
		return -1;
	gitpack_add(&s->pack, type, data, len, &same);
	s->bytes += len;
	free(data);
	return 0;
}

/* Adds tree now and what it holds that tree was (NULL: none) does not: both are read
 * in git's order side by side, and an entry the same under the same name is passed
 * over without a read. */
static int add_changed(struct step *s, const struct gid *now, const struct gid *was, struct rerr *e)
{
	char *nd = NULL, *wd = NULL;
	size_t nl, wl = 0, ni = 0, wi = 0;
	struct git_entry x, y;
	struct gid id;
	int rc = 0, more = 0, hy = 0, c = 0;

	if (read_as(s->repo, now, GIT_TREE, &nd, &nl, e) < 0 ||
	    (was && read_as(s->repo, was, GIT_TREE, &wd, &wl, e) < 0)) {
		free(nd);
		return -1;
	}
	gitpack_add(&s->pack, GIT_TREE, nd, nl, &id);
	s->bytes += nl;
	if (wd)
		hy = git_tree_next(wd, wl, &wi, &y);
	while (rc == 0 && hy >= 0 && (more = git_tree_next(nd, nl, &ni, &x)) == 1) {
		while (hy == 1 && (c = git_entry_cmp(&y, &x)) < 0)
			hy = git_tree_next(wd, wl, &wi, &y);
		int same_name = hy == 1 && c == 0;
		if (!(same_name && gid_cmp(&x.id, &y.id) == 0) && hy >= 0)
			rc = x.is_tree ? add_changed(s, &x.id, same_name ? &y.id : NULL, e)
				       : add(s, &x.id, GIT_BLOB, e);
	}
	free(nd);
	free(wd);
	if (rc == 0 && (more < 0 || hy < 0))
		rc = rerr_set(e, RX_IO, "a tree is damaged");
	return rc;
}

/* Whether repo holds commit id (and, as git takes it, all it reaches). */
static int holds(struct gitrepo *repo, const struct gid *id)
{
	enum git_type t;
	char *data;
	size_t len;

	if (git_read(repo, id, &t, &data, &len, NULL) != 0)
		return 0;
	free(data);
	return t == GIT_COMMIT;
}

/* Reads commit id's headers into ci; with s, adds the commit to its pack. */
static int read_commit(struct gitrepo *repo, const struct gid *id, struct git_commit_info *ci,
		       struct step *s, struct rerr *e)
{
	struct gid same;
	char *data;
	size_t len;

	if (git_read_commit(repo, id, &data, &len, ci, e) < 0)
		return -1;
	if (s) {
		gitpack_add(&s->pack, GIT_COMMIT, data, len, &same);
		s->bytes += len;
	}
	free(data);
	return 0;
}

/* The commits from tip back to the first that stop is (NULL: none) or that known
 * (NULL: none) holds, not included, newest first, in *out; *at gets that one. 0, 1 if
 * no commit was one (all of them up to the first: *at unset), -1. */
static int commits_since(struct gitrepo *repo, const struct gid *tip, const struct gid *stop,
			 struct gitrepo *known, struct gid **out, size_t *n, struct gid *at,
			 struct rerr *e)
{
	struct git_commit_info ci = {.nparents = 1, .parent = *tip};
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	while (ci.nparents > 0) {
		*at = ci.parent;
		if ((stop && gid_cmp(at, stop) == 0) || (known && holds(known, at)))
			return 0;
		if (read_commit(repo, at, &ci, NULL, e) < 0)
			return -1;
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? 2 * cap : 64) * sizeof **out);
		(*out)[(*n)++] = *at;
	}
	return 1;
}

/* Adds commit c and what it changed (its tree against the parent's, was; NULL: none);
 * *tree gets its tree, which the next commit is compared with. */
static int add_commit(struct step *s, const struct gid *c, const struct gid *was, struct gid *tree,
		      struct rerr *e)
{
	struct git_commit_info ci;

	if (read_commit(s->repo, c, &ci, s, e) < 0)
		return -1;
	*tree = ci.tree;
	return add_changed(s, &ci.tree, was, e);
}

/* ---- handing a step over ---- */

/* Moves a path remote's main from what it was (r->main, or none) to to, as git moves a
 * ref (git_ref_swap). A lock older than a push may be silent is a dead push's (pushes
 * of this home to this remote take turns; git by hand holds a ref's lock a moment): a
 * push killed by its alarm between making the lock and renaming it leaves one. */
static int move_path_main(struct remote *r, const struct gid *to, struct rerr *e)
{
	char *dir = xasprintf("%s/refs/heads", r->path);
	struct rerr why = {0};
	int rc = fs_mkdirs(dir, &why) < 0 ? -1
		 : git_ref_swap(r->path, REF_MAIN, r->has_main ? &r->main : NULL, to,
				r->idle > 10 ? r->idle : 10, NULL, &why);

	free(dir);
	if (rc == 1)
		return rerr_set(e, RX_TEMP, "%s: push: its main moved meanwhile", r->url);
	if (rc == 2)
		return rerr_set(e, RX_TEMP, "%s: push: %s (another push is under way; if none is, "
				"one died here: remove it)", r->url, why.msg);
	return rc < 0 ? rerr_set(e, RX_TEMP, "%s: push: %s", r->url, why.msg) : 0;
}

static ssize_t send_some(void *r, const char *buf, size_t n)
{
	return write_all(r, buf, n) < 0 ? -1 : (ssize_t)n;
}

/* Writes the step's pack into a path remote's repository, then moves its main. */
static int write_step(struct remote *r, struct step *s, const struct gid *to, struct rerr *e)
{
	char *packdir = xasprintf("%s/objects/pack", r->path);
	int rc = gitpack_write(&s->pack, packdir, NULL, e);

	free(packdir);
	return rc < 0 ? -1 : move_path_main(r, to, e);
}

/* Sends the step's pack and the move of main from r->main to to through receive-pack;
 * reads its answer. */
static int send_step(struct remote *r, struct step *s, const struct gid *to, struct rerr *e)
{
	char old[41] = "0000000000000000000000000000000000000000", new[41], *buf;
	int len, ok_unpack = 0, rc = 0;

	if (r->has_main)
		gid_hex(old, &r->main);
	gid_hex(new, to);
	char *cmd = xasprintf("%s %s " REF_MAIN "%creport-status\n", old, new, 0);
	rc = pkt_write(r, cmd, strlen(cmd) + 1 + strlen(cmd + strlen(cmd) + 1));
	r->spoke = 1;
	free(cmd);
	if (rc < 0 || write_all(r, "0000", 4) < 0)
		return gone(r, e);
	/* Through write_all: each write that goes through is progress (a slow link that
	 * keeps sending is not cut off by the alarm; one that stops is). */
	FILE *f = fopencookie(r, "w", (cookie_io_functions_t){.write = send_some});
	if (f == NULL)
		return rerr_set(e, RX_SOFTWARE, "%s: push: %s", r->url, strerror(errno));
	rc = gitpack_send(&s->pack, f, e);
	fclose(f);
	if (rc < 0)
		return gone(r, e);
	progressed(r);
	/* The report: "unpack ok", then "ok REF" or "ng REF why", then a flush. */
	while ((len = pkt_read(r, &buf)) > 0) {
		if (strcmp(buf, "unpack ok") == 0)
			ok_unpack = 1;
		else if (strncmp(buf, "unpack ", 7) == 0)
			rc = rerr_set(e, RX_TEMP, "%s: push: the remote could not take the pack: %s", r->url, buf + 7);
		else if (strncmp(buf, "ng " REF_MAIN " ", 4 + strlen(REF_MAIN)) == 0 && rc == 0)
			rc = rerr_set(e, RX_REFUSED, "%s: push refused: " REF_MAIN ": %s", r->url,
				      buf + 4 + strlen(REF_MAIN));
	}
	if (rc == 0 && (len < 0 || !ok_unpack))
		return gone(r, e);
	return rc;
}

/* ---- the push ---- */

/* The bytes a step may gather; RENTAL_REMOTE_STEP_BYTES sets it smaller for the tests,
 * which push histories of a few KiB in steps. */
static size_t step_bytes(void)
{
	const char *v = getenv("RENTAL_REMOTE_STEP_BYTES");
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 ? (size_t)n : STEP_BYTES;
}

/* Gathers the commits c[n-1] (oldest) to c[0], each with what it adds to the one before
 * it (c[n-1] to the commit base; NULL: all it holds), in steps of about step_bytes()
 * (a commit at least), handing each to done with its newest commit. Reading errors
 * are why's; done's, e's. */
static int copy_commits(struct remote *r, struct gitrepo *repo, const struct gid *base,
			const struct gid *c, size_t n,
			int (*done)(struct step *s, const struct gid *last, void *arg, struct rerr *e),
			void *arg, struct rerr *why, struct rerr *e)
{
	struct git_commit_info ci = {0};
	struct gid tree, was;
	size_t i = n, limit = step_bytes();
	int rc = 0, based = base != NULL; /* was is a tree to compare with */

	if (base && read_commit(repo, base, &ci, NULL, why) < 0)
		return -1;
	was = ci.tree;
	while (rc == 0 && i > 0) {
		struct step s = {repo, {0}, 0};
		while (rc == 0 && i > 0 && s.bytes < limit) {
			i--;
			rc = add_commit(&s, &c[i], based ? &was : NULL, &tree, why);
			progressed(r); /* our own work is no silence of the remote's */
			was = tree;
			based = 1;
		}
		if (rc == 0)
			rc = done(&s, &c[i], arg, e);
		gitpack_new_free(&s.pack);
	}
	return rc;
}

/* A step of a push: the pack, and main moved to last. */
static int push_step(struct step *s, const struct gid *last, void *arg, struct rerr *e)
{
	struct remote *r = arg;

	if (r->kind != R_PATH && r->in < 0) { /* a later step: its main as the last left it */
		struct gid left = r->main;
		if (remote_open(r, e) < 0)
			return -1;
		if (!(r->has_main && gid_cmp(&r->main, &left) == 0))
			return rerr_set(e, RX_TEMP, "%s: push: its main moved meanwhile", r->url);
	}
	if (r->kind == R_PATH ? write_step(r, s, last, e) < 0 : send_step(r, s, last, e) < 0)
		return -1;
	r->main = *last;
	r->has_main = 1;
	progressed(r);
	remote_close(r); /* receive-pack takes one push a connection */
	crash_point("push-step");
	return 0;
}

/* Whether main's commit tip may be pushed: signed by signer. */
static int pushable(struct gitrepo *repo, const char *url, const struct gid *tip,
		    const unsigned char *signer, struct rerr *e)
{
	struct git_commit_info ci;
	char hex[41];
	int rc = gitsig_commit_by(repo, tip, signer, &ci, e);

	gid_hex(hex, tip);
	if (rc == 1)
		rc = rerr_set(e, RX_DATA, "%s: push: main's commit %.12s is not signed by this home's "
			      "dispatcher (made by hand?): not pushed, as no replica would take it", url, hex);
	return rc;
}

/* Why a remote's main, not in this history, is refused. */
static int not_in_history(struct gitrepo *repo, const char *url, const struct gid *main,
			  const unsigned char *signer, struct rerr *e)
{
	struct git_commit_info ci;
	struct rerr why = {0};
	char hex[41];

	gid_hex(hex, main);
	int ours = holds(repo, main) ? gitsig_commit_by(repo, main, signer, &ci, &why) : -1;
	if (ours == 1)
		return rerr_set(e, RX_REFUSED, "%s: push refused: its main (%.12s) is a commit this "
				"home's dispatcher did not sign, not in this history (taken out by "
				"'dispatcher --rebuild'?): set the remote's main back by hand to a commit "
				"of this history", url, hex);
	if (ours == 0) /* signed here, held here, yet not under main: main went back */
		return rerr_set(e, RX_REFUSED, "%s: push refused: its main (%.12s) is a commit of "
				"this home's dispatcher that main no longer holds: main was set back "
				"('dispatcher --check' says how to set it forward; gone back on purpose, "
				"the remote is to be emptied)", url, hex);
	return rerr_set(e, RX_REFUSED, "%s: push refused: its main (%.12s) is not in this history",
			url, hex);
}

int push_main(const char *gitdir, const char *url, const unsigned char *signer, int idle,
	      struct rerr *e)
{
	struct remote r;
	struct gitrepo *repo = NULL;
	struct gid tip, *c = NULL;
	size_t n = 0;
	int speaks = parse_url(&r, url), rc = gitrepo_open(&repo, gitdir, e);

	if (rc == 0 && (rc = git_ref_read(gitdir, REF_MAIN, &tip, e)) == 1)
		rc = rerr_set(e, RX_SOFTWARE, "%s: no main to push", gitdir);
	if (rc == 0)
		rc = pushable(repo, url, &tip, signer, e);
	if (rc == 0 && !speaks) {
		gitrepo_free(repo);
		remote_free(&r);
		return transport_push(gitdir, url, idle, e);
	}
	r.idle = idle;
	signal(SIGPIPE, SIG_IGN); /* a far end gone is a write that fails */
	if (rc == 0)
		rc = remote_open(&r, e);
	if (rc == 0 && !(r.has_main && gid_cmp(&r.main, &tip) == 0)) {
		struct rerr why = {0};
		struct gid at;
		/* A main this repository does not hold is in no history of its (a primary
		 * restored from an older copy): said at once, not after a walk to the first. */
		rc = r.has_main && !holds(repo, &r.main) ? 1
			: commits_since(repo, &tip, r.has_main ? &r.main : NULL, NULL, &c, &n, &at, &why);
		if (rc == 1 && r.has_main)
			rc = not_in_history(repo, url, &r.main, signer, e);
		else if (rc >= 0)
			rc = copy_commits(&r, repo, r.has_main ? &r.main : NULL, c, n, push_step, &r, &why, e);
		if (rc < 0 && why.code)
			rc = rerr_set(e, why.code, "%s: push: %s", url, why.msg);
	}
	free(c);
	gitrepo_free(repo);
	remote_free(&r);
	alarm(0);
	return rc < 0 ? -1 : 0;
}

struct fetch {
	struct remote *r;
	char *packdir;
	uint64_t room, written; /* what the fetch may write, and has */
};

/* A step of a fetch: its pack written beside the others, within the room (past it, as
 * a file past RLIMIT_FSIZE fails: EFBIG, which the fetch's caller says as such). */
static int fetch_step(struct step *s, const struct gid *last, void *arg, struct rerr *e)
{
	struct fetch *f = arg;

	(void)last;
	if ((f->written += s->bytes) > f->room)
		return rerr_set(e, RX_IO, "%s: %s", f->packdir, strerror(EFBIG));
	if (gitpack_write(&s->pack, f->packdir, NULL, e) < 0)
		return -1;
	progressed(f->r);
	return 0;
}

/* Whether a path remote borrows objects of another repository (objects/info/alternates,
 * as git clone --shared makes), which the project's reader does not look in. */
static int borrows(const struct remote *r)
{
	char *p = xasprintf("%s/objects/info/alternates", r->path);
	struct stat st;
	int yes = stat(p, &st) == 0 && st.st_size > 0;

	free(p);
	return yes;
}

/* e from why, a fault of the mirror at url, never this home's: what of it cannot be
 * read (RX_IO) is io_code's (a ref or an index it cannot open: try again; an object of
 * its history: refused); said with the URL first. */
static int mirror_fault(struct rerr *e, const char *url, const struct rerr *why, int io_code)
{
	int code = why->code == RX_IO ? io_code : why->code;

	if (strncmp(why->msg, url, strlen(url)) == 0)
		return rerr_set(e, code, "%s", why->msg);
	return rerr_set(e, code, "%s: fetch: %s", url, why->msg);
}

int path_fetch(const char *gitdir, const char *url, int idle, uint64_t room, char tip[41],
	       struct rerr *e)
{
	struct remote r;
	struct gitrepo *from = NULL, *to = NULL;
	struct gid *c = NULL, at, mine;
	struct rerr why = {0};
	struct fetch f = {&r, xasprintf("%s/objects/pack", gitdir), room, 0};
	size_t n = 0;
	int rc, has;

	tip[0] = '\0';
	parse_url(&r, url);
	r.verb = "fetch";
	r.idle = idle;
	/* The mirror's faults are why's, this home's e's. */
	if ((rc = remote_open(&r, &why)) < 0)
		rc = mirror_fault(e, url, &why, RX_TEMP);
	if (rc == 0 && borrows(&r))
		rc = 2;
	if (rc == 0 && !r.has_main)
		rc = 1;
	if (rc == 0) {
		gid_hex(tip, &r.main);
		if (gitrepo_open(&from, r.path, &why) < 0)
			rc = mirror_fault(e, url, &why, RX_TEMP);
		else
			rc = gitrepo_open(&to, gitdir, e);
	}
	if (rc == 2)
		tip[0] = '\0';
	/* From the newest commit this repository holds (none on a first fetch: no look). */
	if (rc == 0 && !holds(to, &r.main) && (rc = has = git_ref_read(gitdir, REF_MAIN, &mine, e)) >= 0) {
		rc = commits_since(from, &r.main, NULL, has == 0 ? to : NULL, &c, &n, &at, &why);
		if (rc >= 0)
			rc = copy_commits(&r, from, rc == 0 ? &at : NULL, c, n, fetch_step, &f, &why, e);
		if (rc < 0 && why.code)
			rc = mirror_fault(e, url, &why, RX_DATA);
	}
	free(c);
	free(f.packdir);
	gitrepo_free(from);
	gitrepo_free(to);
	remote_free(&r);
	alarm(0);
	return rc;
}
