/* rent: return a rented car; list rentals; what the desk does on a day. */
#include "cli.h"
#include "rental.h"
#include "reservation.h"

static const char usage[] =
	"rent [--home DIR] [--as NAME] return RES\n"
	"  rent list [--json | --csv]\n"
	"  rent due [--date YYYY-MM-DD] [--json | --csv]\n";

static const struct field rent_fields[] = {
	{"reservation", F_STR, 20}, {"car", F_STR, 10}, {"customer", F_STR, 10},
	{"from", F_STR, 10}, {"to", F_STR, 10}, {"amount", F_NUM, 9}, {"payment", F_STRNULL, 20},
	{"status", F_STR, 16}};
static const struct field due_fields[] = {
	{"kind", F_STR, 7}, {"reservation", F_STR, 20}, {"car", F_STR, 10}, {"customer", F_STR, 10},
	{"from", F_STR, 10}, {"to", F_STR, 10}, {"status", F_STR, 8}};

static int own_option(int c, void *arg)
{
	if (c != 'd')
		return -1;
	*(const char **)arg = optarg;
	return 0;
}

static int return_rule(struct store *s, const char *res, void *arg, struct rerr *e)
{
	char today[11];

	today_utc(today);
	return rental_check_return(s, res, today, e);
}

/* rent due: the pickups, returns and overdue rentals of a day; a customer's own. */
static int cmd_due(const struct common *o, const char *date)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv *recs = NULL;
	char today[11];
	size_t n = 0;
	int role, rc = -1;

	today_utc(today);
	if (date && !valid_date(date)) {
		rerr_set(&e, RX_DATA, "--date %.40s: not a date (YYYY-MM-DD)", date);
		return fail(&e);
	}
	if (open_home(&h, o, &s, NULL, &e) == 0 && home_role(s, actor, &role, &e) == 0 &&
	    reservation_due(s, date ? date : today, role == ROLE_ADMIN ? NULL : actor, &recs, &n, &e) == 0) {
		rc = format_records(stdout, due_fields, 7, recs, n, o->mode) < 0 ? RX_IO : 0;
		store_records_free(recs, n);
	}
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"date", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	const char *date = NULL;
	int rc;

	prog = "rent";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &date, usage)) >= 0)
		return rc;
	if (argc == 2 && !strcmp(argv[0], "return"))
		return act_on_reservation(&o, argv[1], ROLE_CUSTOMER | ROLE_ADMIN, "return cars",
					  return_rule, NULL, "rent.return", NULL, 0);
	if (argc == 1 && !strcmp(argv[0], "list"))
		return list_reservations(&o, CTX_RENTAL, rent_fields, 8);
	if (argc == 1 && !strcmp(argv[0], "due"))
		return cmd_due(&o, date);
	return usage_error(usage, argc ? "expected return RES, list or due" : "a command is required");
}
