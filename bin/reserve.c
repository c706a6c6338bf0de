/* reserve: book a car for nights, cancel a booking, list bookings. */
#include "cli.h"
#include "reservation.h"

static const char usage[] =
	"reserve [--home DIR] [--as NAME] CAR --from YYYY-MM-DD --to YYYY-MM-DD [--quote]\n"
	"  reserve cancel RES\n"
	"  reserve list [--json | --csv]\n";

struct args {
	const char *from, *to;
	int quote; /* print the price of the stay and write nothing */
};

static const struct field res_fields[] = {
	{"reservation", F_STR, 20}, {"car", F_STR, 10}, {"customer", F_STR, 10},
	{"from", F_STR, 10}, {"to", F_STR, 10}, {"nights", F_NUM, 6}, {"amount", F_NUM, 9},
	{"status", F_STR, 20}, {"reason", F_STRNULL, 30}};

static int own_option(int c, void *arg)
{
	struct args *a = arg;

	if (c == 'f')
		a->from = optarg;
	else if (c == 't')
		a->to = optarg;
	else if (c == 'q')
		a->quote = 1;
	else
		return -1;
	return 0;
}

static int done(struct home *h, struct store *s, struct rerr *e)
{
	store_free(s);
	home_free(h);
	return fail(e);
}

static int cmd_new(const struct common *o, const struct args *a, const char *car)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;
	long long nights, amount;
	char today[11];

	if (a->from == NULL || a->to == NULL)
		return usage_error(usage, "--from and --to are required");
	today_utc(today);
	if (reservation_check_request(car, a->from, a->to, today, &e) < 0)
		return fail(&e); /* what a user can get wrong by typing: 65 before anything else */
	if (open_home(&h, o, &s, NULL, &e) < 0 || (!a->quote && home_check_writable(&h, &e) < 0) ||
	    home_require(&h, s, actor, ROLE_CUSTOMER, "reserve cars", &e) < 0)
		return done(&h, s, &e);
	if (reservation_check_new(s, car, a->from, a->to, today, &nights, &amount, &e) < 0) {
		context_refusal(s, CTX_RESERVATION, &e);
		home_car_waits(&h, s, car, &e);
		return done(&h, s, &e);
	}
	if (a->quote) { /* the same checks, then the amount alone */
		store_free(s);
		home_free(&h);
		printf("%lld\n", amount);
		return finish(0);
	}
	event_init(&ev);
	event_start(&ev, "reserve", actor);
	kv_set(&ev.f, "car", car);
	kv_set(&ev.f, "from", a->from);
	kv_set(&ev.f, "to", a->to);
	if (home_submit(&h, s, actor, &ev, &e) < 0) {
		event_free(&ev);
		return done(&h, s, &e);
	}
	char id[ID_LEN];
	snprintf(id, sizeof id, "%s", kv_get(&ev.f, "id"));
	event_free(&ev);
	store_free(s);
	home_free(&h);
	return print_id(id);
}

static int cancel_rule(struct store *s, const char *res, void *arg, struct rerr *e)
{
	return reservation_check_cancel(s, res, e);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"quote", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	struct args a = {0};
	int rc;

	prog = "reserve";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &a, usage)) >= 0)
		return rc;
	if (argc < 1)
		return usage_error(usage, "a car (or cancel, list) is required");
	/* One word with --from and --to is a car's name: cars may be called list. */
	const char *sub = argc == 1 && o.given['f'] && o.given['t'] ? "" : argv[0];
	if ((rc = cli_only(&o, !strcmp(sub, "cancel") || !strcmp(sub, "list") ? sub : NULL,
			   !strcmp(sub, "cancel") ? "" : !strcmp(sub, "list") ? "=" : "ftq", usage)) >= 0)
		return rc;
	if (!strcmp(sub, "cancel"))
		return argc == 2 ? act_on_reservation(&o, argv[1], ROLE_CUSTOMER | ROLE_ADMIN,
			"cancel reservations", CTX_RESERVATION, cancel_rule, NULL, "reserve.cancel", NULL, 0) : usage_error(usage, "cancel: expected one RES");
	if (!strcmp(sub, "list"))
		return argc == 1 ? list_reservations(&o, CTX_RESERVATION, res_fields, 9) : unexpected(usage, "list", argv[1]);
	if (argc != 1)
		return usage_error(usage, "expected one CAR");
	return cmd_new(&o, &a, argv[0]);
}
