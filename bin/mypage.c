/* mypage: a customer's reservations, read from the mypage read model only. */
#include "cli.h"
#include "ledger.h"
#include "mypage.h"

static const char usage[] = "mypage [--home DIR] [--as NAME] [--customer NAME] [--json | --csv]\n";

static const struct field row_fields[] = {
	{"reservation", F_STR, 20}, {"car", F_STR, 10}, {"from", F_STR, 10}, {"to", F_STR, 10},
	{"nights", F_NUMNULL, 6}, {"amount", F_NUMNULL, 9}, {"status", F_STR, 20},
	{"payment", F_STRNULL, 20}, {"stars", F_NUMNULL, 5}, {"reason", F_STRNULL, 30},
	{"late_fee", F_NUM, 8}};

/* The rule for --customer: an admin may name any registered customer, anyone else
 * only themselves; a name that is no registered customer is refused (1; 75 while its
 * registration waits in the spool). */
static int check_customer(const struct home *h, struct store *s, const char *actor, int role,
			  const char *customer, struct rerr *e)
{
	struct kv key;
	int rc, theirs;

	if (strcmp(customer, actor) == 0 && role == ROLE_CUSTOMER)
		return 0;
	if (role != ROLE_ADMIN)
		return rerr_set(e, RX_PERM, "%s: only an admin may see another customer's page", actor);
	if ((rc = ledger_key(s, customer, &key, e)) < 0)
		return -1;
	if (rc == 1) {
		rerr_set(e, RX_REFUSED, "%s: no such customer", customer);
		return home_key_waits(h, customer, e);
	}
	theirs = role_parse(kv_get(&key, "role") ? kv_get(&key, "role") : "");
	kv_free(&key);
	if (theirs != ROLE_CUSTOMER)
		return rerr_set(e, RX_REFUSED, "%s: not a customer (role %s)", customer, role_name(theirs));
	return 0;
}

static int own_option(int c, void *arg)
{
	if (c != 'c')
		return -1;
	*(const char **)arg = optarg;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"customer", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	const char *customer = NULL, *actor;
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv *recs = NULL;
	size_t n = 0;
	int rc, role;

	prog = "mypage";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &customer, usage)) >= 0)
		return rc;
	if (argc > 0)
		return unexpected(usage, NULL, argv[0]);
	actor = home_actor(o.as);
	if (customer && !valid_name(customer)) {
		rerr_set(&e, RX_DATA, "--customer %.40s: not a name", customer);
		return fail(&e);
	}
	rc = -1;
	if (open_home(&h, &o, &s, NULL, &e) == 0 && home_role(&h, s, actor, &role, &e) == 0) {
		/* An admin has no page: said, as of --customer ADMIN (it printed none, 0). */
		if (customer == NULL && role == ROLE_ADMIN)
			rerr_set(&e, RX_REFUSED, "%s: not a customer (role %s): name one with --customer NAME",
				 actor, role_name(role));
		else if (customer == NULL && role != ROLE_CUSTOMER) /* the dispatcher's */
			rerr_set(&e, RX_PERM, "%s: not a customer (role %s)", actor, role_name(role));
		else if (customer == NULL || check_customer(&h, s, actor, role, customer, &e) == 0) {
			if (mypage_rows(s, customer ? customer : actor, &recs, &n, &e) == 0)
				rc = format_records(stdout, row_fields, 11, recs, n, o.mode) < 0 ? RX_IO : 0;
			store_records_free(recs, n);
		}
	}
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}
