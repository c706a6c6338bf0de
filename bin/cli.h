/* cli.h: what every command's main shares: common options, messages, exit. Only
 * the commands print; the library returns errors. */
#ifndef RENTAL_CLI_H
#define RENTAL_CLI_H
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "home.h"
#include "format.h"
#include "context.h"

static const char *prog = "rental";

struct common {
	const char *home, *as;
	int json, csv, help, version;
	enum fmt mode; /* of a listing: --json, --csv, else a table */
	const struct option *opts; /* the command's */
	unsigned char given[128]; /* its own options given, by their letters */
};

enum { OPT_HOME = 1000, OPT_AS, OPT_JSON, OPT_CSV, OPT_HELP, OPT_VERSION };

#define COMMON_OPTIONS                                       \
	{"home", required_argument, NULL, OPT_HOME},         \
	{"as", required_argument, NULL, OPT_AS},             \
	{"json", no_argument, NULL, OPT_JSON},               \
	{"csv", no_argument, NULL, OPT_CSV},                 \
	{"help", no_argument, NULL, OPT_HELP},               \
	{"version", no_argument, NULL, OPT_VERSION}

/* Takes a common option; 1 if c was one. */
__attribute__((unused)) static int common_option(struct common *o, int c)
{
	switch (c) {
	case OPT_HOME: o->home = optarg; return 1;
	case OPT_AS: o->as = optarg; return 1;
	case OPT_JSON: o->json = 1; return 1;
	case OPT_CSV: o->csv = 1; return 1;
	case OPT_HELP: o->help = 1; return 1;
	case OPT_VERSION: o->version = 1; return 1;
	}
	return 0;
}

/* Flushes stdout and reports a failed write (full disk; a closed pipe where SIGPIPE is
 * ignored, as by a writing command) as such. */
__attribute__((unused)) static int finish(int rc)
{
	static int said; /* a command's mode and its main may both finish */

	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!said++)
			fprintf(stderr, "%s: stdout: write error\n", prog);
		return rc ? rc : RX_IO;
	}
	return rc;
}

__attribute__((unused)) /* Writes a message on one line: a newline or control character a user typed is
 * shown escaped, never acted on by the terminal. */
static void put_message(FILE *f, const char *msg)
{
	int shown, len;

	for (const unsigned char *p = (const unsigned char *)msg; *p; p += len) {
		len = text_unit((const char *)p, &shown);
		if (*p == '\n')
			fputs("\\n", f);
		else if (!shown && len > 1) { /* C1 or a bidirectional control, as tables show it */
			uint32_t c;
			utf8_char((const char *)p, &c);
			fprintf(f, "\\u%04x", (unsigned)c);
		}
		else if (!shown) /* a control character, or a byte that is no character */
			fprintf(f, "\\x%02x", *p);
		else if (fwrite(p, 1, (size_t)len, f) != (size_t)len)
			return; /* the stream failed: finish says so */
	}
}

/* Puts "PROG: MSG" and a newline on f, then "usage: USAGE" if usage is given. */
static void put_line(FILE *f, const char *msg, const char *usage)
{
	fprintf(f, "%s: ", prog);
	put_message(f, msg);
	fputc('\n', f);
	if (usage)
		fprintf(f, "usage: %s", usage);
}

/* Says msg (and usage) on stderr in one write: commands that share a log (cron's, a
 * pipeline's, parallel scripts') must not interleave their lines character by
 * character, as put_message's characters on the unbuffered stderr would. */
static void say(const char *msg, const char *usage)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m)
		put_line(m, msg, usage);
	if (m && fclose(m) == 0 && buf != NULL) /* glibc: a last realloc failed leaves it NULL */
		fwrite(buf, 1, len, stderr);
	else
		put_line(stderr, msg, usage); /* out of memory: in pieces, but said */
	free(buf);
}

/* say, of a message made from fmt: whatever its names and values hold (a remote's
 * words, a path), it is one line, escaped. */
__attribute__((unused, format(printf, 1, 2))) static void sayf(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	say(msg, NULL);
	free(msg);
}

static int fail(const struct rerr *e)
{
	say(e->msg, NULL);
	return finish(e->code ? e->code : RX_SOFTWARE);
}

__attribute__((unused)) static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	say(msg, usage);
	return RX_USAGE;
}

/* A word the command (cmd: its subcommand, or NULL) takes no more of, named. */
__attribute__((unused)) static int unexpected(const char *usage, const char *cmd, const char *arg)
{
	return usage_error(usage, "%s%sunexpected argument '%s'", cmd ? cmd : "", cmd ? ": " : "", arg);
}

/* Prints the usage, then the home the command would work on and where it comes
 * from: an installed command's default differs from one run in its source tree. */
__attribute__((unused)) static int show_help(const char *usage, const struct common *o)
{
	const char *env = getenv("RENTAL_HOME");
	struct home h;

	home_resolve(&h, o->home);
	printf("usage: %s", usage);
	printf("  %s --help | --version\n", prog);
	if (o->home && !*o->home)
		printf("home: none: --home is an empty name\n");
	else
		printf("home: %s (%s)\n", h.root,
		       o->home ? "--home" : env && *env ? "RENTAL_HOME" : "the built-in default");
	home_free(&h);
	return finish(0);
}

__attribute__((unused)) static int show_version(void)
{
	printf("%s (rental) %s\n", prog, RENTAL_VERSION);
	return finish(0);
}

/* The usage error for what getopt_long returned c (':' or '?') at: the option as the
 * user typed it, a long option by its name, never by the code it has in opts. */
__attribute__((unused)) static int option_error(int c, int argc, char **argv, const struct option *opts,
						const char *usage)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	const struct option *p = NULL;

	/* A long option in arg (as typed, maybe abbreviated, maybe with =VALUE) whose code
	 * is optopt; a short option in a cluster leaves arg at an earlier word. */
	if (optopt != 0 && strncmp(arg, "--", 2) == 0) {
		size_t typed = strcspn(arg + 2, "=");
		for (p = opts; p->name; p++)
			if (p->flag == NULL && p->val == optopt && strncmp(arg + 2, p->name, typed) == 0)
				break;
		if (p->name == NULL)
			p = NULL;
	}
	if (p && c == ':')
		return usage_error(usage, "--%s: missing its value", p->name);
	if (p && arg[2 + strcspn(arg + 2, "=")] == '=')
		return usage_error(usage, "--%s: takes no value", p->name);
	if (optopt > ' ' && optopt < 0x7f)
		return usage_error(usage, "-%c: %s", optopt, c == ':' ? "missing its value" : "unknown option");
	if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0') {
		size_t typed = strcspn(arg + 2, "="), n = 0;
		for (const struct option *q = opts; q->name; q++)
			n += strncmp(arg + 2, q->name, typed) == 0;
		if (n > 1)
			return usage_error(usage, "%s: ambiguous option", arg);
	}
	return usage_error(usage, "%s: unknown option", arg);
}

/* getopt_long with the common options; unknown options are a usage error (64). */
__attribute__((unused)) static int parse_options(int argc, char **argv, const struct option *opts, const char *shortopts,
			 struct common *o, int (*own)(int c, void *arg), void *arg, const char *usage)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (common_option(o, c))
			continue;
		if (c == '?' || c == ':')
			return option_error(c, argc, argv, opts, usage);
		if (own == NULL || own(c, arg) != 0) {
			const struct option *p = opts;
			while (p->name && p->val != c)
				p++;
			return usage_error(usage, "--%s: does not go with the options before it",
					   p->name ? p->name : "?");
		}
		if (c > 0 && c < 128)
			o->given[c] = 1;
	}
	return 0;
}

/* 64 if one of the command's own options was given that what (a subcommand, or NULL:
 * the command's own form) does not take (its letters are ok, and '=' if it is a
 * listing, which takes --json and --csv): an option of another subcommand is an error,
 * not passed over (pay cancel --amount, carctl rm --rate, reserve CAR --json). -1 to
 * go on. */
__attribute__((unused)) static int cli_only(const struct common *o, const char *what, const char *ok,
					    const char *usage)
{
	const char *name = NULL;

	for (const struct option *p = o->opts; p && p->name && !name; p++)
		if (p->val > 0 && p->val < 128 && o->given[p->val] && !strchr(ok, p->val))
			name = p->name;
	if (!name && (o->json || o->csv) && !strchr(ok, '='))
		name = o->json ? "json" : "csv";
	if (!name)
		return -1;
	return what ? usage_error(usage, "%s: --%s does not apply", what, name)
		    : usage_error(usage, "--%s does not apply", name);
}

/* A standard stream the caller closed (cron's >&-) is taken by /dev/null, read-only, so
 * that writing it fails as writing a closed one does, and the first file the command
 * opens (the home's lock, a spool file) does not take its number and its messages. A
 * file-size limit makes a write fail, said and named (74), not kill the process. */
static void guard_process(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDONLY) < 0)
			break;
	signal(SIGXFSZ, SIG_IGN);
}

/* Parses the options and answers --help and --version. Returns -1 to go on, with
 * *argc and *argv past the options; otherwise the exit status. */
__attribute__((unused)) static int cli_start(int *argc, char ***argv, const struct option *opts,
	struct common *o, int (*own)(int c, void *arg), void *arg, const char *usage)
{
	int rc;

	guard_process();
	format_init();
	o->opts = opts;
	rc = parse_options(*argc, *argv, opts, ":", o, own, arg, usage);
	if (rc != 0)
		return rc;
	if (o->help)
		return show_help(usage, o);
	if (o->json && o->csv)
		return usage_error(usage, "--json and --csv: choose one");
	/* Not /, nor the default: an empty value is a mistake (a variable unset). */
	if (o->home && !*o->home)
		return usage_error(usage, "the home is an empty name");
	o->mode = o->json ? FMT_JSON : o->csv ? FMT_CSV : FMT_TABLE;
	if (o->version)
		return show_version();
	*argc -= optind;
	*argv += optind;
	return -1;
}

/* Opens the home's applied state and (if not NULL) its settings. */
__attribute__((unused)) static int open_home(struct home *h, const struct common *o, struct store **s, struct cfg *c,
		     struct rerr *e)
{
	/* Every command reads the settings: a broken file is reported wherever it is met. */
	home_resolve(h, o->home);
	if (home_load_config(h, c, e) < 0)
		return -1;
	return home_open_state(h, s, e);
}

/* Prints the id of what a writing command made, alone on stdout. Its event is in the
 * spool already: a stdout that cannot be written is said, with the id, and the exit
 * is 0 all the same (a script that retried on a failure would write it twice). */
__attribute__((unused)) static int print_id(const char *id)
{
	signal(SIGPIPE, SIG_IGN); /* a reader gone: said below, not a death by signal */
	printf("%s\n", id);
	if (fflush(stdout) != 0 || ferror(stdout))
		fprintf(stderr, "%s: stdout: write error; the event is in the spool all the same: %s\n", prog, id);
	return 0;
}
#endif

/* A rule of the context checked before writing, against the applied state. */
typedef int (*rule_fn)(struct store *s, const char *res, void *arg, struct rerr *e);

/* A refusal of an action on res that context ctx's applied state gave (e): try again
 * later (75) while ctx is behind the log or an event on res waits in the spool, which
 * the state may not show yet; else as it is. Returns -1. */
__attribute__((unused)) static int judged_refusal(const struct home *h, struct store *s, int ctx,
						  const char *res, struct rerr *e)
{
	context_refusal(s, ctx, e);
	return home_refusal_pending(h, res, e);
}

/* What every command that acts on a reservation does: check the id (65), that the home
 * may be written (77: a replica without spool:), the identity and its role (77), the
 * reservation and its owner (1, 75, 77), the rule of
 * context ctx (1, 75), then sign and spool an event of type with extra fields.
 * Prints the new event's id if print_new, else res. */
__attribute__((unused)) static int act_on_reservation(const struct common *o, const char *res,
	unsigned roles, const char *what, int ctx, rule_fn rule, void *arg, const char *type,
	const struct kv *extra, int print_new)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;
	char id[ID_LEN];
	int role, rc = -1;

	if (!valid_id(res, "res")) {
		rerr_set(&e, RX_DATA, "%.40s: not a reservation id (res- and 16 hex digits)", res);
		return fail(&e);
	}
	event_init(&ev);
	if (open_home(&h, o, &s, NULL, &e) < 0 || home_check_writable(&h, &e) < 0 ||
	    home_role(&h, s, actor, &role, &e) < 0 || home_require(&h, s, actor, roles, what, &e) < 0 ||
	    home_check_reservation(&h, s, res, actor, role, &e) < 0)
		goto out;
	if (rule(s, res, arg, &e) < 0) {
		judged_refusal(&h, s, ctx, res, &e);
		goto out;
	}
	event_start(&ev, type, actor);
	kv_set(&ev.f, "reservation", res);
	if (extra)
		kv_copy(&ev.f, extra);
	if (home_submit(&h, s, actor, &ev, &e) < 0)
		goto out;
	snprintf(id, sizeof id, "%s", print_new ? kv_get(&ev.f, "id") : res);
	rc = 0;
out:
	event_free(&ev);
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : print_id(id);
}

/* Lists a context's reservation records: the actor's own, or all for an admin. */
__attribute__((unused)) static int list_reservations(const struct common *o, int ctx,
	const struct field *f, size_t nf)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv *recs = NULL;
	size_t n = 0;
	int role, rc = -1;

	if (open_home(&h, o, &s, NULL, &e) == 0 && home_role(&h, s, actor, &role, &e) == 0 &&
	    context_list(s, ctx, role == ROLE_ADMIN ? NULL : actor, &recs, &n, &e) == 0) {
		rc = format_records(stdout, f, nf, recs, n, o->mode) < 0 ? RX_IO : 0;
		store_records_free(recs, n);
	}
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}
