/* rate: rate a returned reservation once, 1 to 5 stars, with an optional comment. */
#include "cli.h"
#include "limit.h"
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
	long long n;
	int rc;

	prog = "rate";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &a, usage)) >= 0 ||
	    (rc = cli_only(&o, NULL, "sc", usage)) >= 0)
		return rc;
	if (argc != 1)
		return usage_error(usage, "expected one RES");
	if (a.stars == NULL)
		return usage_error(usage, "--stars N is required");
	if (limit_stars(a.stars, &n, &e) < 0 || (a.comment && limit_input_text(a.comment, "\n\t", "comment", &e) < 0))
		return fail(&e);
	kv_init(&extra);
	kv_set(&extra, "stars", a.stars);
	if (a.comment)
		kv_set(&extra, "comment", a.comment);
	rc = act_on_reservation(&o, argv[0], ROLE_CUSTOMER, "rate", CTX_RATING, rate_rule, &a, "rate", &extra, 1);
	kv_free(&extra);
	return rc;
}
