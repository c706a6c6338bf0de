/* pay: pay for a reservation (it becomes RENTED), or cancel the payment. */
#include "cli.h"
#include "limit.h"
#include "payment.h"

static const char usage[] =
	"pay [--home DIR] [--as NAME] RES [--amount N]\n"
	"  pay cancel RES\n";

struct pay_arg {
	const char *amount;
	const struct cfg *cfg;
	const char *spool;
	struct kv *extra; /* the event's amount: the one the rule checked */
};

static int own_option(int c, void *arg)
{
	if (c != 'a')
		return -1;
	*(const char **)arg = optarg;
	return 0;
}

/* The breaker first: while payment is unhealthy, nothing is taken. */
static int pay_rule(struct store *s, const char *res, void *arg, struct rerr *e)
{
	struct pay_arg *p = arg;
	char today[11];
	long long due;
	int rules = rec_rules(s, e);

	today_utc(today);
	if (rules < 0 || payment_breaker_check(p->spool, p->cfg, e) < 0 ||
	    payment_check_pay(s, res, p->amount, payment_ended_today(today, rules), &due, e) < 0)
		return -1;
	kv_setnum(p->extra, "amount", due);
	return 0;
}

static int cancel_rule(struct store *s, const char *res, void *arg, struct rerr *e)
{
	struct pay_arg *p = arg;
	char today[11];
	int rules = rec_rules(s, e);

	if (rules < 0 || payment_breaker_check(p->spool, p->cfg, e) < 0)
		return -1;
	today_utc(today);
	return payment_check_cancel(s, res, payment_ended_today(today, rules), e);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"amount", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	const char *amount = NULL;
	struct home h;
	struct cfg c;
	struct rerr e = {0};
	struct kv extra;
	long long n;
	int rc;

	prog = "pay";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &amount, usage)) >= 0)
		return rc;
	if (argc < 1)
		return usage_error(usage, "a reservation is required");
	int cancel = !strcmp(argv[0], "cancel");
	if ((rc = cli_only(&o, cancel ? "cancel" : NULL, cancel ? "" : "a", usage)) >= 0)
		return rc;
	if (argc != 1 + cancel)
		return usage_error(usage, cancel ? "cancel: expected one RES" : "expected one RES");
	if (amount && limit_amount(amount, &n, "amount", &e) < 0)
		return fail(&e);
	home_resolve(&h, o.home);
	if (home_load_config(&h, &c, &e) < 0) {
		home_free(&h);
		return fail(&e);
	}
	kv_init(&extra);
	struct pay_arg p = {amount, &c, h.spool, &extra};
	if (cancel) {
		rc = act_on_reservation(&o, argv[1], ROLE_CUSTOMER | ROLE_ADMIN, "cancel payments",
					CTX_PAYMENT, cancel_rule, &p, "pay.cancel", NULL, 0);
	} else {
		/* Without --amount the event still carries one: the amount due the rule saw. */
		rc = act_on_reservation(&o, argv[0], ROLE_CUSTOMER, "pay", CTX_PAYMENT, pay_rule, &p, "pay", &extra, 1);
	}
	kv_free(&extra);
	home_free(&h);
	return rc;
}
