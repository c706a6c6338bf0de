/* dispatcher: applies the spool to the state: once, as a daemon, a health check, or
 * a rebuild of every state file from the log. */
#include "cli.h"
#include "dispatch.h"
#include "gitsig.h"
#include "records.h"
#include "spool.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

static const char usage[] =
	"dispatcher [--home DIR] [--once | --check | --rebuild | --upgrade]\n"
	"  (no mode: run in the foreground, applying events as they arrive; SIGTERM stops it)\n"
	"  --upgrade: move a home made by an older release to this release's layout\n";

enum { MODE_DAEMON, MODE_ONCE, MODE_CHECK, MODE_REBUILD, MODE_UPGRADE, MODE_SIGNERS };

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static int own_option(int c, void *arg)
{
	int *mode = arg;

	if (*mode != MODE_DAEMON)
		return -1;
	*mode = c == 'o' ? MODE_ONCE : c == 'c' ? MODE_CHECK : c == 'U' ? MODE_UPGRADE
		: c == 'S' ? MODE_SIGNERS : MODE_REBUILD;
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

/* Batches until the spool is empty (or a batch makes no progress). */
static int drain(const struct home *h, struct store *s, struct dispatch_stats *total, struct rerr *e)
{
	struct dispatch_stats st;
	struct cfg c;

	memset(total, 0, sizeof *total);
	for (;;) {
		/* Settings are read each batch: a context switched on catches up at once. */
		if (cfg_load(&c, h->config, e) < 0 || dispatch_batch(h, s, &c, &st, e) < 0)
			return -1;
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
		rc = drain(h, s, &t, &e);
	store_free(s);
	if (rc < 0)
		return fail(&e);
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
		if (drain(h, s, &t, &e) < 0) {
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

/* Progress of a rebuild or an upgrade, on a terminal only: one line, rewritten. */
static void show_progress(const char *phase, size_t done, size_t total)
{
	fprintf(stderr, "\rdispatcher: %s: %zu of %zu%s", phase, done, total, done == total ? "\n" : "");
}

static int print_report(const struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "dispatcher: %s\n", r->lines[i]);
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
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	struct home h;
	struct report r;
	struct rerr e = {0};
	struct cfg cfg;
	int mode = MODE_DAEMON, rc;

	prog = "dispatcher";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &mode, usage)) >= 0)
		return rc;
	if (argc > 0)
		return usage_error(usage, "%s: unexpected argument", argv[0]);
	home_resolve(&h, o.home);
	/* The spool is the one the settings name; a run whose settings fail says so at
	 * its first batch (the daemon at each), --check in its report. */
	if (mode == MODE_ONCE || mode == MODE_DAEMON || mode == MODE_CHECK)
		(void)home_load_config(&h, &cfg, NULL);
	if (mode == MODE_ONCE)
		rc = run_once(&h, 0);
	else if (mode == MODE_DAEMON)
		rc = run_daemon(&h);
	else if (mode == MODE_SIGNERS)
		rc = print_signers(&h);
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
		if (isatty(2))
			dispatch_on_progress(show_progress);
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
