/* dispatcher: applies the spool to the state: once, as a daemon, a health check, or
 * a rebuild of every state file from the log; pushes main to the remotes; on a
 * replica, follows its primary instead. */
#include "cli.h"
#include "dispatch.h"
#include "gitsig.h"
#include "records.h"
#include "replica.h"
#include "replicate.h"
#include "spool.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"dispatcher [--home DIR] [--as NAME]\n"
	"            [--once [--quiet] | --check [--quiet] | --rebuild | --upgrade |\n"
	"             --push [--quiet] | --allowed-signers]\n"
	"  (no mode: run in the foreground, applying events as they arrive; SIGTERM stops it;\n"
	"  on a replica: following its primary)\n"
	"  --quiet: with --once, say nothing unless an event was quarantined or a context failed;\n"
	"           with --check, nothing of a healthy home\n"
	"  --upgrade: move a home made by an older release to this release's layout\n"
	"  --push: push main to every remote of the settings now\n"
	"  --allowed-signers: the line of git's allowed signers file for the home's commits\n";

enum { MODE_DAEMON, MODE_ONCE, MODE_CHECK, MODE_REBUILD, MODE_UPGRADE, MODE_SIGNERS, MODE_PUSH };

/* A replica asks its primary for news this often (ms). */
#define FOLLOW_INTERVAL 1000

static volatile sig_atomic_t stopping;
static int quiet;
static pid_t pusher; /* the `dispatcher --push` this process started, until it ends */

static void on_signal(int sig)
{
	stopping = 1;
}

/* SIGCHLD and SIGALRM only interrupt what waits: a poll, a fetch. */
static void on_wake(int sig)
{
}

static int own_option(int c, void *arg)
{
	int *mode = arg;

	if (c == 'q')
		return quiet = 1, 0;
	if (*mode != MODE_DAEMON)
		return -1;
	*mode = c == 'o' ? MODE_ONCE : c == 'c' ? MODE_CHECK : c == 'U' ? MODE_UPGRADE
		: c == 'S' ? MODE_SIGNERS : c == 'P' ? MODE_PUSH : MODE_REBUILD;
	return 0;
}

static void catch(int sig, void (*fn)(int))
{
	struct sigaction sa = {0};

	sa.sa_handler = fn; /* no SA_RESTART: a wait in progress returns */
	sigaction(sig, &sa, NULL);
}

/* Starts a `dispatcher --push` in the background if a remote lacks main's commit and
 * the one this process started before has ended; its messages go to stderr if log. */
static void kick_push(const struct home *h, int log)
{
	/* The program this process runs, even when a new one was installed over it since
	 * (its path then names another file, or none: "PATH (deleted)"). */
	static const char self[] = "/proc/self/exe";
	struct rerr e = {0};
	struct cfg *c;
	int behind;

	if (pusher > 0 && waitpid(pusher, NULL, WNOHANG) == 0)
		return; /* still pushing: it looks at main again before it ends */
	pusher = 0;
	c = xcalloc(1, sizeof *c); /* its callers may hold theirs on the stack */
	behind = home_settings(h, c, NULL) == 0 && replicate_behind(h, c, NULL) == 1;
	free(c);
	if (!behind)
		return;
	if ((pusher = replicate_spawn(self, h, log, &e)) < 0) {
		say(e.msg, NULL);
		pusher = 0;
	}
}

/* The contexts a batch held back: the operator must mend what they failed on. */
static void print_failed(const struct dispatch_stats *t)
{
	for (int i = 0; i < CTX_COUNT; i++)
		if (t->failed[i])
			sayf("context %s failed and is held back: %s",
				context_name(i), t->failure[i]);
}

static void print_summary(const struct dispatch_stats *t)
{
	sayf("applied %zu, skipped %zu, quarantined %zu, held %zu",
		t->applied, t->skipped, t->quarantined, t->held);
	print_failed(t);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* When the work show_progress tells of began: the process's start (a rebuild's
 * replay), then each drain's. */
static double work_start;

/* How far long work is: on a terminal one line rewritten, in a log a line every ten
 * seconds; done of total, the rate since the work began, and the time left at that
 * rate. Nothing with --quiet (for cron: a line is mail). */
static void show_progress(const char *phase, size_t done, size_t total)
{
	static double said;
	double now = now_s(), rate = now > work_start ? (double)done / (now - work_start) : 0;
	int tty = isatty(2);

	if (quiet || total <= 1000) /* short work: done before anyone waits */
		return;
	if (!tty && done < total && now - said < 10)
		return;
	said = now;
	fprintf(stderr, "%sdispatcher: %s: %zu of %zu, %.0f a second, %.0f s left%s", tty ? "\r" : "",
		phase, done, total, rate, rate > 0 ? (double)(total - done) / rate : 0.0,
		!tty || done == total ? "\n" : "");
}

static void say_waiting(const char *why)
{
	sayf("%s; waiting until it ends", why);
}

/* The lines of a batch: quarantined events and failed contexts always (they need the
 * operator), rejections and refusals unless quiet; and, in the daemon, the batch. */
static void log_batch(const struct dispatch_stats *st, double ms, int daemon)
{
	if (daemon && st->applied + st->skipped + st->quarantined + st->outcomes > 0)
		sayf("batch: applied %zu, skipped %zu, quarantined %zu, "
			"outcomes %zu, held %zu, in %.0f ms", st->applied, st->skipped, st->quarantined,
			st->outcomes, st->held, ms);
	for (size_t i = 0; i < st->notes.n; i++)
		if (!quiet || strncmp(st->notes.lines[i], "quarantined", 11) == 0)
			say(st->notes.lines[i], NULL);
}

/* Batches until the spool is empty (or a batch makes no progress), the settings read
 * into c before each. */
static int drain_into(const struct home *h, struct store *s, struct cfg *c,
		      struct dispatch_stats *total, int daemon, struct rerr *e)
{
	struct dispatch_stats st;
	size_t done = 0;

	memset(total, 0, sizeof *total);
	work_start = now_s();
	for (;;) {
		double t0 = now_s();
		/* Settings are read each batch: a context switched on catches up at once. */
		if (home_settings(h, c, e) < 0)
			return -1;
		if (dispatch_batch(h, s, c, &st, e) < 0) {
			/* The files it quarantined have left the spool: they are said, as always.
			 * A batch that failed after its commit is in: said, with its lines. */
			if (st.committed) { /* one line with the error: a daemon says a lasting one once */
				char msg[sizeof e->msg];
				log_batch(&st, (now_s() - t0) * 1000, 0);
				snprintf(msg, sizeof msg, "%s", e->msg);
				rerr_set(e, e->code, "the batch is committed (applied %zu, skipped %zu, quarantined %zu); "
					 "after it: %.300s", st.applied, st.skipped, st.quarantined, msg);
			} else {
				for (size_t i = 0; i < st.notes.n; i++)
					if (strncmp(st.notes.lines[i], "quarantined", 11) == 0)
						say(st.notes.lines[i], NULL);
			}
			report_free(&st.notes);
			return -1;
		}
		log_batch(&st, (now_s() - t0) * 1000, daemon);
		report_free(&st.notes);
		done += st.applied + st.skipped + st.quarantined;
		if (st.remaining > 0 || done > DISPATCH_BATCH_MAX)
			show_progress("the spool", done, done + st.remaining);
		total->applied += st.applied;
		total->skipped += st.skipped;
		total->quarantined += st.quarantined;
		total->held = st.held;
		for (int i = 0; i < CTX_COUNT; i++) {
			total->failed[i] += st.failed[i];
			if (st.failed[i])
				memcpy(total->failure[i], st.failure[i], sizeof st.failure[i]);
		}
		if (st.remaining == 0 || st.applied + st.skipped + st.quarantined == 0 || stopping)
			return 0;
	}
}

static int drain(const struct home *h, struct store *s, struct dispatch_stats *total, int daemon,
		 struct rerr *e)
{
	struct cfg *c = xcalloc(1, sizeof *c); /* 18 KiB: not on the stack */
	int rc = drain_into(h, s, c, total, daemon, e);

	free(c);
	return rc;
}

static int run_once(const struct home *h, int wait)
{
	struct store *s = NULL;
	struct dispatch_stats t;
	struct rerr e = {0};
	int rc = -1;

	if (dispatch_open(h, &s, wait, &e) == 0)
		rc = drain(h, s, &t, 0, &e);
	store_free(s);
	if (rc < 0) {
		kick_push(h, 0); /* a batch that failed after its commit moved main */
		return fail(&e);
	}
	int failed = 0;
	for (int i = 0; i < CTX_COUNT; i++)
		failed |= t.failed[i] > 0;
	if (!quiet || t.quarantined > 0 || failed)
		print_summary(&t);
	kick_push(h, 0);
	return finish(0);
}

/* Logs a fault of a daemon (msg; NULL: none this round) when its reason differs from
 * the last one logged: a fault that lasts is met at every wake (every 5 s, every
 * second on a replica). The reason is the message's last part, after its last ": "
 * (the system's word, "No space left on device"): what comes before it may change
 * from wake to wake (a new temp file's name, a batch's counts). Its end is said too. */
static void say_fault(char last[256], const char *msg)
{
	const char *why = msg, *sep;

	if (msg == NULL) {
		if (last[0])
			sayf("the fault is gone");
		last[0] = '\0';
		return;
	}
	while ((sep = strstr(why, ": ")) != NULL)
		why = sep + 2;
	if (strncmp(last, why, 255) != 0)
		say(msg, NULL);
	snprintf(last, 256, "%s", why);
}

/* Watches the spool the settings name now (they may name another while the daemon
 * runs): *wd is its watch on fd, -1 if there is none. */
static int watch_spool(struct home *h, int fd, int *wd, struct rerr *e)
{
	static dev_t dev; /* of the folder watched: one put in its place is watched anew */
	static ino_t ino;
	char *before = xstrdup(h->spool), *newdir;
	struct stat st;
	int moved;

	(void)home_load_config(h, NULL, NULL); /* broken settings: the batch says so */
	newdir = xasprintf("%s/new", h->spool);
	moved = strcmp(before, h->spool) != 0 ||
		(stat(newdir, &st) == 0 && (st.st_dev != dev || st.st_ino != ino));
	free(before);
	if (!moved && *wd >= 0) {
		free(newdir);
		return 0;
	}
	if (*wd >= 0)
		inotify_rm_watch(fd, *wd);
	*wd = inotify_add_watch(fd, newdir, IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE);
	if (*wd < 0)
		rerr_set(e, RX_IO, "%s: inotify: %s", newdir, strerror(errno));
	else {
		sayf("watching %s", newdir);
		if (stat(newdir, &st) == 0)
			dev = st.st_dev, ino = st.st_ino;
	}
	free(newdir);
	return *wd < 0 ? -1 : 0;
}

static int run_daemon(struct home *h)
{
	struct store *s = NULL;
	struct dispatch_stats t;
	struct rerr e = {0};
	struct sigaction sa = {0};
	char fault[256] = "";
	int fd, wd = -1, rc = 0;

	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	catch(SIGCHLD, on_wake); /* a pusher that ends: the next may start */
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		rerr_set(&e, RX_IO, "inotify: %s", strerror(errno));
	if (fd < 0 || dispatch_open(h, &s, 1, &e) < 0) {
		store_free(s);
		if (fd >= 0)
			close(fd);
		if (stopping) { /* SIGTERM while it waited for the home */
			sayf("stopped");
			return finish(0);
		}
		return fail(&e);
	}
	while (!stopping) {
		char buf[4096];
		struct pollfd p = {fd, POLLIN, 0};

		/* A fault (no spool to watch, disk full, broken settings) is logged; the next
		 * wake (an event, or the poll's timeout) retries. */
		int failed = watch_spool(h, fd, &wd, &e) < 0 || store_keep_lock(s, &e) < 0;
		while (read(fd, buf, sizeof buf) > 0)
			;
		/* drain logged a line per batch; the contexts held back, when it did work */
		if (!failed && (failed = drain(h, s, &t, 1, &e) < 0) == 0 &&
		    t.applied + t.skipped + t.quarantined > 0)
			print_failed(&t);
		say_fault(fault, failed ? e.msg : NULL);
		kick_push(h, 1);
		if (!stopping && poll(&p, 1, 5000) < 0 && errno != EINTR) {
			rc = rerr_set(&e, RX_IO, "poll: %s", strerror(errno));
			break;
		}
	}
	store_free(s);
	close(fd);
	if (rc < 0)
		return fail(&e);
	sayf("stopped");
	return finish(0);
}

/* ---- replication ---- */

/* dispatcher --push: main to every remote, each in a process of its own; a line for
 * each (--quiet: only for one that starts failing or answers again, none for a remote
 * another process is pushing to). Exit 1 if one fails. */
static int run_push(struct home *h)
{
	struct push_result res[CFG_REMOTES_MAX];
	unsigned char signer[crypto_sign_PUBLICKEYBYTES];
	struct rerr e = {0};
	struct cfg c;
	int failed = 0;

	if (home_settings(h, &c, &e) < 0 || home_has_repo(h, &e) < 0)
		return fail(&e);
	if (c.nremotes == 0 && !quiet)
		sayf("no remotes to push to (replicate: remotes in %s)", h->config);
	/* Asked by a person, it waits its turn after a push under way; started by a
	 * batch (--quiet), it leaves the remote to that one. */
	if ((c.nremotes > 0 && dispatch_signing_key(h, signer, &e) < 0) ||
	    replicate_push_all(h, &c, signer, !quiet, res, &e) < 0)
		return fail(&e);
	for (int i = 0; i < c.nremotes; i++) {
		const struct push_result *p = &res[i];
		if (p->outcome == PUSH_FAILED) {
			failed = 1;
			if (!quiet || p->before.error[0] == '\0')
				say(p->after.error[0] ? p->after.error : "push failed", NULL);
		} else if (p->outcome == PUSH_BUSY) {
			if (!quiet)
				sayf("%s: another process is pushing to it", c.remotes[i]);
		} else if (!quiet || p->before.error[0]) {
			sayf("%s: has main (%.12s)%s", c.remotes[i], p->after.pushed,
				p->before.error[0] ? ", answering again" : "");
		}
	}
	return finish(failed);
}

/* Opens a replica's state with the dispatcher's lock. */
static int open_replica(const struct home *h, struct store **s, int wait, struct rerr *e)
{
	*s = NULL;
	return store_open(s, h->state, e) < 0 ? -1 : store_lock(*s, wait, e);
}

/* Says what a round of following did, if it differs from the last (NULL: always):
 * the exit status of --once for it. */
static int say_follow(const struct home *h, const struct follow *f, const struct follow *last)
{
	struct replica rp;
	char at[40];

	home_replica_read(h, &rp, NULL);
	snprintf(at, sizeof at, f->head[0] ? "%.12s" : "no commit yet", f->head);
	if (f->taken > 0 && !quiet)
		sayf("followed %s: %ld commits checked, main at %s", rp.url, f->taken, at);
	if (f->refused) {
		if (!last || !last->refused || strcmp(last->reason, f->reason) != 0)
			sayf("refused the history of %s: %s; main stays at %s", rp.url,
				f->reason, at);
		return RX_REFUSED;
	}
	if (f->unreachable) {
		if (!last || !last->unreachable)
			sayf("%s; main stays at %s", f->reason, at);
		return RX_TEMP;
	}
	if (last && last->unreachable)
		sayf("%s answers again", rp.url);
	else if (!last && f->taken == 0 && !quiet)
		sayf("%s: %s", rp.url,
			f->tip[0] ? "nothing new" : "no history there yet");
	return 0;
}

/* A replica's dispatcher --once: one round of following. */
static int follow_once(const struct home *h)
{
	struct cfg c;
	struct store *s = NULL;
	struct follow f;
	struct rerr e = {0};
	int rc;

	catch(SIGALRM, on_wake);
	if (home_settings(h, &c, &e) < 0 || open_replica(h, &s, 0, &e) < 0 ||
	    replica_follow(h, replicate_timeout(&c), NULL, &f, &e) < 0 ||
	    (f.taken > 0 && store_maintain(s, &e) < 0)) {
		store_free(s);
		return fail(&e);
	}
	store_free(s);
	rc = say_follow(h, &f, NULL);
	kick_push(h, 0);
	return finish(rc);
}

/* A replica's daemon: a round of following every FOLLOW_INTERVAL until SIGTERM. */
static int follow_daemon(const struct home *h)
{
	struct store *s = NULL;
	struct follow f, last;
	struct replica rp;
	struct cfg c;
	struct rerr e = {0};
	char fault[256] = "";
	int first = 1;

	catch(SIGTERM, on_signal);
	catch(SIGINT, on_signal);
	catch(SIGALRM, on_wake);
	catch(SIGCHLD, on_wake);
	if (home_replica_read(h, &rp, &e) < 0 || open_replica(h, &s, 1, &e) < 0) {
		store_free(s);
		return fail(&e);
	}
	sayf("following %s", rp.url);
	while (!stopping) {
		/* Settings are read each round, as a primary's each batch. */
		int failed = home_settings(h, &c, &e) < 0 || replica_follow(h, replicate_timeout(&c), &stopping, &f, &e) < 0;
		if (!failed) {
			say_follow(h, &f, first ? NULL : &last);
			failed = f.taken > 0 && store_maintain(s, &e) < 0;
			last = f;
			first = 0;
		}
		say_fault(fault, failed ? e.msg : NULL);
		kick_push(h, 1);
		if (!stopping)
			poll(NULL, 0, FOLLOW_INTERVAL);
	}
	store_free(s);
	sayf("stopped");
	return finish(0);
}

static int print_report(const struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		say(r->lines[i], NULL);
	return r->failed;
}

/* The line of git's allowed signers file for the key that signs this home's commits. */
static int print_signers(const struct home *h)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct rerr e = {0};
	char *line;

	if (dispatch_signing_key(h, pk, &e) < 0)
		return fail(&e);
	line = gitsig_allowed_signer(pk);
	fputs(line, stdout);
	free(line);
	return finish(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"once", no_argument, NULL, 'o'},
		{"check", no_argument, NULL, 'c'},
		{"rebuild", no_argument, NULL, 'R'},
		{"upgrade", no_argument, NULL, 'U'},
		{"allowed-signers", no_argument, NULL, 'S'},
		{"push", no_argument, NULL, 'P'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	struct home h;
	struct report r;
	struct rerr e = {0};
	int mode = MODE_DAEMON, rc, replica;

	prog = "dispatcher";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &mode, usage)) >= 0)
		return rc;
	if (argc > 0)
		return unexpected(usage, NULL, argv[0]);
	if (o.json || o.csv) /* it prints no listing */
		return usage_error(usage, "--%s does not apply", o.json ? "json" : "csv");
	if (quiet && mode != MODE_ONCE && mode != MODE_PUSH && mode != MODE_CHECK)
		return usage_error(usage, "--quiet: only with --once, --push or --check");
	home_resolve(&h, o.home);
	if (home_run_as_owner(&h, &e) < 0)
		return fail(&e);
	dispatch_on_wait(say_waiting);
	work_start = now_s();
	dispatch_on_progress(show_progress);
	/* The spool is the one the settings name; a run whose settings fail says so at
	 * its first batch (the daemon at each), --check in its report. */
	if (mode == MODE_ONCE || mode == MODE_DAEMON || mode == MODE_CHECK)
		(void)home_load_config(&h, NULL, NULL);
	replica = home_is_replica(&h);
	if (replica && (mode == MODE_REBUILD || mode == MODE_UPGRADE)) {
		rerr_set(&e, RX_PERM, "%s: a replica, whose state moves only with its primary's "
			 "history; rebuild or upgrade the primary", h.root);
		rc = fail(&e);
	} else if (mode == MODE_ONCE)
		rc = replica ? follow_once(&h) : run_once(&h, 0);
	else if (mode == MODE_DAEMON)
		rc = replica ? follow_daemon(&h) : run_daemon(&h);
	else if (mode == MODE_PUSH)
		rc = run_push(&h);
	else if (mode == MODE_SIGNERS)
		rc = print_signers(&h);
	else if (mode == MODE_CHECK) {
		if (dispatch_check(&h, &r, &e) < 0)
			rc = fail(&e);
		else {
			/* --quiet, for cron: nothing said of a healthy home */
			rc = r.failed || !quiet ? print_report(&r) : 0;
			if (rc == 0 && !quiet)
				sayf("healthy");
			report_free(&r);
		}
	} else {
		size_t rewritten = 0;
		int upgrade = mode == MODE_UPGRADE;
		if (dispatch_rebuild(&h, upgrade, &r, &rewritten, &e) < 0) {
			print_report(&r); /* what it did before it failed (main set back) */
			report_free(&r);
			rc = fail(&e);
		} else {
			rc = print_report(&r) ? 1 : 0;
			if (upgrade)
				sayf("upgrade: layout %d, %zu records moved or rewritten",
					RECORDS_LAYOUT, rewritten);
			else if (r.n == rewritten)
				sayf("rebuild: %zu differences%s", r.n,
					r.n ? " repaired" : ", state matches the log");
			else /* outcomes of the log decided otherwise now: the log stands */
				sayf("rebuild: %zu differences, %zu records repaired; "
					"the log's are not (it is the record)", r.n, rewritten);
			report_free(&r);
			kick_push(&h, 0); /* its commit, now rather than at the next batch */
		}
	}
	home_free(&h);
	return finish(rc);
}
