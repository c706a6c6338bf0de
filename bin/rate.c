/* rate: rate a returned reservation once, 1 to 5 stars, with an optional comment. */
#include "cli.h"
#include "rating.h"

static const char usage[] = "rate [--home DIR] [--as NAME] RES --stars N [--comment TEXT]\n";

struct args {
	const char *stars, *comment;
};

static int own_option(int c, void *arg)
{
	struct args *a = arg;

	if (c == 's')
		a->stars = optarg;
	else if (c == 'c')
		a->comment = optarg;
	else
		return -1;
	return 0;
}

static int rate_rule(struct store *s, const char *res, void *arg, struct rerr *e)
{
	return rating_check(s, res, ((struct args *)arg)->stars, e);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"stars", required_argument, NULL, 's'},
		{"comment", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	struct args a = {0};
	struct rerr e = {0};
	struct kv extra;
	int rc;

	prog = "rate";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &a, usage)) >= 0)
		return rc;
	if (argc != 1)
		return usage_error(usage, "expected one RES");
	if (a.stars == NULL)
		return usage_error(usage, "--stars N is required");
	if (strlen(a.stars) != 1 || a.stars[0] < '1' || a.stars[0] > '5') {
		rerr_set(&e, RX_DATA, "--stars %.20s: a whole number from 1 to 5", a.stars);
		return fail(&e);
	}
	if (a.comment && (strlen(a.comment) > 200 || !valid_text(a.comment, "\n\t"))) {
		rerr_set(&e, RX_DATA, "--comment: at most 200 bytes of UTF-8 text");
		return fail(&e);
	}
	kv_init(&extra);
	kv_set(&extra, "stars", a.stars);
	if (a.comment)
		kv_set(&extra, "comment", a.comment);
	rc = act_on_reservation(&o, argv[0], ROLE_CUSTOMER, "rate", rate_rule, &a, "rate", &extra, 1);
	kv_free(&extra);
	return rc;
}
