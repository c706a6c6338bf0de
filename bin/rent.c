/* rent: return a rented car; list rentals; what the desk does on a day. */
#include "cli.h"
#include "rental.h"
#include "reservation.h"

static const char usage[] =
	"rent [--home DIR] [--as NAME] return RES\n"
	"  rent list [--json | --csv]\n"
	"  rent due [--date YYYY-MM-DD] [--json | --csv]\n"
	"  rent receipt RES [--json | --csv]\n";

static const struct field rent_fields[] = {
	{"reservation", F_STR, 20}, {"car", F_STR, 10}, {"customer", F_STR, 10},
	{"from", F_STR, 10}, {"to", F_STR, 10}, {"amount", F_NUM, 9}, {"payment", F_STRNULL, 20},
	{"status", F_STR, 16}, {"late_fee", F_NUM, 8}};
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

/* The receipt of res, or the rental context's refusal (75 while it is behind, or
 * while an event on res waits in the spool). */
static int rental_receipt_checked(const struct home *h, struct store *s, const char *res,
				  struct kv *r, struct price_lines *l, struct rerr *e)
{
	return rental_receipt(s, res, r, l, e) < 0 ? judged_refusal(h, s, CTX_RENTAL, res, e) : 0;
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
	if (open_home(&h, o, &s, NULL, &e) == 0 && home_role(&h, s, actor, &role, &e) == 0 &&
	    reservation_due(s, date ? date : today, role == ROLE_ADMIN ? NULL : actor, &recs, &n, &e) == 0) {
		rc = format_records(stdout, due_fields, 7, recs, n, o->mode) < 0 ? RX_IO : 0;
		store_records_free(recs, n);
	}
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The receipt's fields, lines aside, in the order they are printed. */
static const struct field receipt_fields[] = {
	{"receipt", F_STR, 0}, {"reservation", F_STR, 0}, {"customer", F_STR, 0},
	{"car", F_STR, 0}, {"model", F_STRNULL, 0}, {"from", F_STR, 0}, {"to", F_STR, 0},
	{"nights", F_NUM, 0}, {"amount", F_NUM, 0}, {"late_fee", F_NUM, 0},
	{"refund", F_NUM, 0}, {"total", F_NUM, 0}, {"currency", F_STR, 0},
	{"paid", F_STRNULL, 0}, {"status", F_STR, 0}};
static const char *const receipt_names[] = {
	"receipt", "reservation", "customer", "car", "model", "from", "to", "nights", "lines",
	"amount", "late_fee", "refund", "total", "currency", "paid", "status"};

/* The receipt as one JSON object: its lines, only the units with a count. */
static json_t *receipt_json(const struct kv *r, const struct price_lines *l)
{
	json_t *o = format_json(receipt_fields, N(receipt_fields), r), *lines = json_array();

	for (int u = 0; u < UNIT_COUNT; u++) {
		if (l->count[u] == 0)
			continue;
		json_array_append_new(lines, json_pack("{s:s,s:I,s:I,s:I}", "unit",
			price_unit_name(u), "count", (json_int_t)l->count[u], "price",
			(json_int_t)l->price[u], "amount", (json_int_t)(l->count[u] * l->price[u])));
	}
	json_object_set_new(o, "lines", lines);
	json_t *ordered = json_object();
	for (size_t i = 0; i < N(receipt_names); i++)
		json_object_set(ordered, receipt_names[i], json_object_get(o, receipt_names[i]));
	json_decref(o);
	return ordered;
}

/* The receipt for people: a line a field, the lines as COUNT UNIT x PRICE = AMOUNT. */
static int receipt_text(const struct kv *r, const struct price_lines *l)
{
	const char *cur = kv_get(r, "currency");

	printf("receipt      %s\n", kv_get(r, "receipt"));
	printf("reservation  %s (%s)\n", kv_get(r, "reservation"), kv_get(r, "status"));
	printf("customer     %s\n", kv_get(r, "customer"));
	printf("car          %s", kv_get(r, "car"));
	if (*kv_get(r, "model")) { /* a text a user typed: shown escaped, as in tables */
		fputs(" (", stdout);
		put_message(stdout, kv_get(r, "model"));
		fputc(')', stdout);
	}
	putchar('\n');
	printf("stay         %s to %s, %s night%s\n", kv_get(r, "from"), kv_get(r, "to"), kv_get(r, "nights"),
	       strcmp(kv_get(r, "nights"), "1") == 0 ? "" : "s");
	for (int u = 0; u < UNIT_COUNT; u++)
		if (l->count[u] > 0)
			printf("  %lld %s%s x %lld = %lld\n", l->count[u], price_unit_name(u),
			       l->count[u] > 1 ? "s" : "", l->price[u], l->count[u] * l->price[u]);
	printf("amount       %s %s\n", kv_get(r, "amount"), cur);
	printf("late fee     %s %s\n", kv_get(r, "late_fee"), cur);
	printf("refund       %s %s\n", kv_get(r, "refund"), cur);
	printf("total        %s %s\n", kv_get(r, "total"), cur);
	printf("paid         %s\n", *kv_get(r, "paid") ? kv_get(r, "paid") : "-");
	return 0;
}

/* rent receipt RES: the receipt of a paid booking, for its owner or an admin. */
static int cmd_receipt(const struct common *o, const char *res)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct cfg c;
	struct kv r;
	struct price_lines l;
	int role, rc = -1;

	kv_init(&r);
	if (!valid_id(res, "res")) {
		rerr_set(&e, RX_DATA, "%.40s: not a reservation id (res- and 16 hex digits)", res);
		return fail(&e);
	}
	if (open_home(&h, o, &s, &c, &e) == 0 && home_role(&h, s, actor, &role, &e) == 0 &&
	    home_require(&h, s, actor, ROLE_CUSTOMER | ROLE_ADMIN, "see receipts", &e) == 0 &&
	    home_check_reservation(&h, s, res, actor, role, &e) == 0 &&
	    rental_receipt_checked(&h, s, res, &r, &l, &e) == 0) {
		kv_set(&r, "currency", c.currency);
		if (o->mode == FMT_TABLE) {
			rc = receipt_text(&r, &l);
		} else {
			json_t *j = receipt_json(&r, &l);
			rc = format_objects(stdout, receipt_names, N(receipt_names), &j, 1, o->mode) < 0 ? RX_IO : 0;
			json_decref(j);
		}
	}
	kv_free(&r);
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
	if (argc > 0 && strcmp(argv[0], "due") != 0 &&
	    (rc = cli_only(&o, argv[0], strcmp(argv[0], "return") ? "=" : "", usage)) >= 0)
		return rc;
	if (argc == 2 && !strcmp(argv[0], "return"))
		return act_on_reservation(&o, argv[1], ROLE_CUSTOMER | ROLE_ADMIN, "return cars",
					  CTX_RENTAL, return_rule, NULL, "rent.return", NULL, 0);
	if (argc == 1 && !strcmp(argv[0], "list"))
		return list_reservations(&o, CTX_RENTAL, rent_fields, 9);
	if (argc == 2 && !strcmp(argv[0], "receipt"))
		return cmd_receipt(&o, argv[1]);
	if (argc == 1 && !strcmp(argv[0], "due"))
		return cmd_due(&o, date);
	if (argc > 1 && (!strcmp(argv[0], "list") || !strcmp(argv[0], "due")))
		return unexpected(usage, argv[0], argv[1]);
	return usage_error(usage, argc ? "expected return RES, list, due or receipt RES" : "a command is required");
}
