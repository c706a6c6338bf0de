/* rent: return a rented car; list rentals. */
#include "cli.h"
#include "rental.h"

static const char usage[] =
	"rent [--home DIR] [--as NAME] return RES\n"
	"  rent list [--json]\n";

static const struct field rent_fields[] = {
	{"reservation", F_STR, 20}, {"car", F_STR, 10}, {"customer", F_STR, 10},
	{"from", F_STR, 10}, {"to", F_STR, 10}, {"amount", F_NUM, 9}, {"payment", F_STRNULL, 20},
	{"status", F_STR, 16}};

static int return_rule(struct store *s, const char *res, void *arg, struct rerr *e)
{
	return rental_check_return(s, res, e);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct common o = {0};
	int rc;

	prog = "rent";
	if ((rc = cli_start(&argc, &argv, opts, &o, NULL, NULL, usage)) >= 0)
		return rc;
	if (argc == 2 && !strcmp(argv[0], "return"))
		return act_on_reservation(&o, argv[1], ROLE_CUSTOMER | ROLE_ADMIN, "return cars",
					  return_rule, NULL, "rent.return", NULL, 0);
	if (argc == 1 && !strcmp(argv[0], "list"))
		return list_reservations(&o, CTX_RENTAL, rent_fields, 8);
	return usage_error(usage, argc ? "expected return RES or list" : "a command is required");
}
