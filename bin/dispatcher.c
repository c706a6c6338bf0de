/* dispatcher: applies the spool to the state: once, as a daemon, a health check, or
 * a rebuild of every state file from the log. */
#include "cli.h"
#include "dispatch.h"
#include "records.h"
#include "spool.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"dispatcher [--home DIR] [--once [--quiet] | --check | --rebuild | --upgrade]\n"
	"  (no mode: run in the foreground, applying events as they arrive; SIGTERM stops it)\n"
	"  --quiet: with --once, say nothing unless an event was quarantined or a context failed\n"
	"  --upgrade: move a home made by an older release to this release's layout\n";

enum { MODE_DAEMON, MODE_ONCE, MODE_CHECK, MODE_REBUILD, MODE_UPGRADE };

static volatile sig_atomic_t stopping;
static int quiet;

static void on_signal(int sig)
{
	stopping = 1;
}

static int own_option(int c, void *arg)
{
	int *mode = arg;

	if (c == 'q')
		return quiet = 1, 0;
	if (*mode != MODE_DAEMON)
		return -1;
	*mode = c == 'o' ? MODE_ONCE : c == 'c' ? MODE_CHECK : c == 'U' ? MODE_UPGRADE : MODE_REBUILD;
	return 0;
}

static void print_summary(const struct dispatch_stats *t)
{
	fprintf(stderr, "dispatcher: applied %zu, skipped %zu, quarantined %zu, held %zu\n",
		t->applied, t->skipped, t->quarantined, t->held);
	for (int i = 0; i < CTX_COUNT; i++)
		if (t->failed[i])
			fprintf(stderr, "dispatcher: context %s failed and is held back: %s\n",
				context_name(i), t->failure[i]);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* How far long work is: on a terminal one line rewritten, in a log a line every ten
 * seconds; done of total, the rate, and the time left at that rate. */
static void show_progress(const char *phase, size_t done, size_t total)
{
	static const char *last_phase;
	static double start, said;
	double now = now_s(), rate;
	int tty = isatty(2);

	if (total <= 1000) /* short work: done before anyone waits */
		return;
	if (phase != last_phase)
		last_phase = phase, start = said = now;
	if (!tty && done < total && now - said < 10)
		return;
	said = now;
	rate = now > start ? (double)done / (now - start) : 0;
	fprintf(stderr, "%sdispatcher: %s: %zu of %zu, %.0f a second, %.0f s left%s", tty ? "\r" : "",
		phase, done, total, rate, rate > 0 ? (double)(total - done) / rate : 0.0,
		!tty || done == total ? "\n" : "");
}

static void say_waiting(const char *why)
{
	fprintf(stderr, "dispatcher: %s; waiting until it ends\n", why);
}

/* The lines of a batch: quarantined events and failed contexts always (they need the
 * operator), rejections and refusals unless quiet; and, in the daemon, the batch. */
static void log_batch(const struct dispatch_stats *st, double ms, int daemon)
{
	if (daemon && st->applied + st->skipped + st->quarantined > 0)
		fprintf(stderr, "dispatcher: batch: applied %zu, skipped %zu, quarantined %zu, "
			"outcomes %zu, held %zu, in %.0f ms\n", st->applied, st->skipped, st->quarantined,
			st->outcomes, st->held, ms);
	for (size_t i = 0; i < st->notes.n; i++)
		if (!quiet || strncmp(st->notes.lines[i], "quarantined", 11) == 0)
			fprintf(stderr, "dispatcher: %s\n", st->notes.lines[i]);
}

/* Batches until the spool is empty (or a batch makes no progress). */
static int drain(const struct home *h, struct store *s, struct dispatch_stats *total, int daemon,
		 struct rerr *e)
{
	struct dispatch_stats st;
	struct cfg c;
	size_t done = 0;

	memset(total, 0, sizeof *total);
	for (;;) {
		double t0 = now_s();
		/* Settings are read each batch: a context switched on catches up at once. */
		if (home_load_config(h, &c, e) < 0 || dispatch_batch(h, s, &c, &st, e) < 0)
			return -1;
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

static int run_once(const struct home *h, int wait)
{
	struct store *s = NULL;
	struct dispatch_stats t;
	struct rerr e = {0};
	int rc = -1;

	if (dispatch_open(h, &s, wait, &e) == 0)
		rc = drain(h, s, &t, 0, &e);
	store_free(s);
	if (rc < 0)
		return fail(&e);
	int failed = 0;
	for (int i = 0; i < CTX_COUNT; i++)
		failed |= t.failed[i] > 0;
	if (!quiet || t.quarantined > 0 || failed)
		print_summary(&t);
	return finish(0);
}

static int run_daemon(const struct home *h)
{
	struct store *s = NULL;
	struct dispatch_stats t;
	struct rerr e = {0};
	struct sigaction sa = {0};
	char *newdir = xasprintf("%s/new", h->spool);
	int fd, rc = 0;

	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0 || inotify_add_watch(fd, newdir, IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE) < 0) {
		rerr_set(&e, RX_IO, "%s: inotify: %s", newdir, strerror(errno));
		free(newdir);
		return fail(&e);
	}
	free(newdir);
	if (dispatch_open(h, &s, 1, &e) < 0) {
		store_free(s);
		close(fd);
		return fail(&e);
	}
	fprintf(stderr, "dispatcher: watching %s/new\n", h->spool);
	while (!stopping) {
		char buf[4096];
		struct pollfd p = {fd, POLLIN, 0};

		while (read(fd, buf, sizeof buf) > 0)
			;
		if (drain(h, s, &t, 1, &e) < 0) {
			/* A fault (disk full, broken settings) is logged; the next wake retries. */
			fprintf(stderr, "dispatcher: %s\n", e.msg);
		} else if (t.applied + t.skipped + t.quarantined > 0) {
			print_summary(&t);
		}
		if (!stopping && poll(&p, 1, 5000) < 0 && errno != EINTR) {
			rc = rerr_set(&e, RX_IO, "poll: %s", strerror(errno));
			break;
		}
	}
	store_free(s);
	close(fd);
	if (rc < 0)
		return fail(&e);
	fprintf(stderr, "dispatcher: stopped\n");
	return finish(0);
}

static int print_report(const struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "dispatcher: %s\n", r->lines[i]);
	return r->failed;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"once", no_argument, NULL, 'o'},
		{"check", no_argument, NULL, 'c'},
		{"rebuild", no_argument, NULL, 'R'},
		{"upgrade", no_argument, NULL, 'U'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	struct home h;
	struct report r;
	struct rerr e = {0};
	int mode = MODE_DAEMON, rc;

	prog = "dispatcher";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &mode, usage)) >= 0)
		return rc;
	if (argc > 0)
		return usage_error(usage, "%s: unexpected argument", argv[0]);
	if (quiet && mode != MODE_ONCE)
		return usage_error(usage, "--quiet: only with --once");
	home_resolve(&h, o.home);
	dispatch_on_wait(say_waiting);
	dispatch_on_progress(show_progress);
	if (mode == MODE_ONCE)
		rc = run_once(&h, 0);
	else if (mode == MODE_DAEMON)
		rc = run_daemon(&h);
	else if (mode == MODE_CHECK) {
		if (dispatch_check(&h, &r, &e) < 0)
			rc = fail(&e);
		else {
			rc = print_report(&r) ? 1 : 0;
			if (rc == 0)
				fprintf(stderr, "dispatcher: healthy\n");
			report_free(&r);
		}
	} else {
		size_t moved = 0;
		int upgrade = mode == MODE_UPGRADE;
		if (dispatch_rebuild(&h, upgrade, &r, &moved, &e) < 0)
			rc = fail(&e);
		else {
			rc = print_report(&r) ? 1 : 0;
			if (upgrade)
				fprintf(stderr, "dispatcher: upgrade: layout %d, %zu records moved or rewritten\n",
					RECORDS_LAYOUT, moved);
			else
				fprintf(stderr, "dispatcher: rebuild: %zu differences%s\n", r.n,
					r.n ? " repaired" : ", state matches the log");
			report_free(&r);
		}
	}
	home_free(&h);
	return finish(rc);
}
