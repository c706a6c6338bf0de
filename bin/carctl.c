/* carctl: the fleet and the keys: init, key add/gen/list, add, rm, list, show. */
#include "cli.h"
#include "ledger.h"
#include "gitsig.h"
#include "management.h"
#include "sign.h"
#include <unistd.h>

static const char usage[] =
	"carctl [--home DIR] [--as NAME] COMMAND ...\n"
	"  carctl init [DIR]\n"
	"  carctl init --replica URL DIR [--trust PUBKEY]\n"
	"  carctl key add NAME [--role customer|admin] [--pubkey BASE64]\n"
	"  carctl key gen NAME\n"
	"  carctl key list [--json]\n"
	"  carctl add CAR --rate N [--model TEXT]\n"
	"  carctl rm CAR\n"
	"  carctl list [--json]\n"
	"  carctl show CAR [--json]\n";

struct args {
	const char *rate, *model, *role, *pubkey, *replica, *trust;
};

static int own_option(int c, void *arg)
{
	struct args *a = arg;

	switch (c) {
	case 'r': a->rate = optarg; return 0;
	case 'm': a->model = optarg; return 0;
	case 'R': a->role = optarg; return 0;
	case 'p': a->pubkey = optarg; return 0;
	case 'F': a->replica = optarg; return 0;
	case 'T': a->trust = optarg; return 0;
	}
	return -1;
}

static const struct field car_fields[] = {
	{"car", F_STR, 12}, {"model", F_STRNULL, 16}, {"rate", F_NUM, 8}, {"status", F_STR, 10},
	{"stars", F_NUMNULL, 5}, {"ratings", F_NUM, 7}};
static const struct field booking_fields[] = {
	{"reservation", F_STR, 20}, {"from", F_STR, 10}, {"to", F_STR, 10}, {"status", F_STR, 20}};
static const struct field key_fields[] = {
	{"name", F_STR, 16}, {"role", F_STR, 8}, {"pubkey", F_STR, 44}};

/* carctl init --replica URL DIR: says what it follows and the key it trusts. */
static int init_replica(const struct args *a, const char *dir)
{
	struct home h;
	struct replica r;
	struct rerr e = {0};
	int created, rc = home_init_replica(dir, a->replica, a->trust, &created, &e);
	char *key;

	home_resolve(&h, dir);
	if (rc == 0 && !created)
		fprintf(stderr, "carctl: %s: already a home, nothing changed\n", h.root);
	else if (rc == 0 && home_replica_read(&h, &r, &e) == 0 && r.trusted) {
		key = gitsig_ssh_pubkey(r.trust);
		fprintf(stderr, "carctl: %s: a replica of %s, trusting the dispatcher key %s (%s)\n",
			h.root, r.url, key, r.trusted_from);
		free(key);
	} else if (rc == 0) {
		fprintf(stderr, "carctl: %s: a replica of %s, which has no history yet\n", h.root, r.url);
	}
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(0);
}

static int cmd_init(const struct common *o, const struct args *a, int argc, char **argv)
{
	struct home h;
	struct rerr e = {0};
	int created;

	if (a->replica)
		return argc == 1 ? init_replica(a, argv[0])
				 : usage_error(usage, "init --replica: expected the URL and one DIR");
	if (a->trust)
		return usage_error(usage, "init: --trust goes with --replica");
	if (argc > 1)
		return usage_error(usage, "init: too many arguments");
	home_resolve(&h, argc == 1 ? argv[0] : o->home);
	if (home_init(h.root, &created, &e) < 0) {
		home_free(&h);
		return fail(&e);
	}
	if (created)
		fprintf(stderr, "carctl: %s: home created, admin key in %s/admin.key\n", h.root, h.keys);
	else
		fprintf(stderr, "carctl: %s: already a home, nothing changed\n", h.root);
	home_free(&h);
	return finish(0);
}

/* Signs and spools an admin event built by fill; prints what names the object. */
static int submit(struct home *h, struct store *s, const char *actor, struct event *ev,
		  const char *printed)
{
	struct rerr e = {0};
	int rc = home_submit(h, actor, ev, &e);

	event_free(ev);
	store_free(s);
	home_free(h);
	return rc < 0 ? fail(&e) : print_id(printed);
}

static int cmd_key_add(const struct common *o, const struct args *a, const char *name)
{
	const char *actor = home_actor(o->as), *role = a->role ? a->role : "customer";
	struct home h;
	struct store *s = NULL;
	struct seckey k = {0};
	struct rerr e = {0};
	struct event ev;
	struct kv key;
	char pk[SIG_PK_B64];
	unsigned char raw[crypto_sign_PUBLICKEYBYTES];
	int rc;

	if (!valid_name(name)) {
		rerr_set(&e, RX_DATA, "%.40s: a key name is 1 to 32 letters, digits, '.', '_' or '-'", name);
		return fail(&e);
	}
	if (strcmp(role, "customer") != 0 && strcmp(role, "admin") != 0) {
		rerr_set(&e, RX_DATA, "%.40s: the role is customer or admin", role);
		return fail(&e);
	}
	if (a->pubkey && sig_pk_decode(raw, a->pubkey) < 0) {
		rerr_set(&e, RX_DATA, "--pubkey: not the base64 of a 32-byte ed25519 key");
		return fail(&e);
	}
	if (open_home(&h, o, &s, NULL, &e) < 0 || home_require(s, actor, ROLE_ADMIN, "register keys", &e) < 0 ||
	    home_check_writable(&h, &e) < 0)
		goto err;
	if ((rc = ledger_key(s, name, &key, &e)) < 0)
		goto err;
	kv_free(&key);
	if (rc == 0) {
		rerr_set(&e, RX_REFUSED, "%s: key registered already", name);
		goto err;
	}
	if (a->pubkey) {
		snprintf(pk, sizeof pk, "%s", a->pubkey);
	} else {
		char *path = xasprintf("%s/%s.key", h.keys, name);
		rc = seckey_generate(&k, &e) == 0 ? seckey_save(&k, path, &e) : -1;
		free(path);
		if (rc < 0)
			goto err;
		sig_pk_b64(pk, k.pk);
		seckey_free(&k);
	}
	event_init(&ev);
	event_start(&ev, "key.add", actor);
	kv_set(&ev.f, "name", name);
	kv_set(&ev.f, "role", role);
	kv_set(&ev.f, "pubkey", pk);
	return submit(&h, s, actor, &ev, name);
err:
	seckey_free(&k);
	store_free(s);
	home_free(&h);
	return fail(&e);
}

static int cmd_key_gen(const struct common *o, const char *name)
{
	struct home h;
	struct seckey k = {0};
	struct rerr e = {0};
	char pk[SIG_PK_B64], *path;
	int rc;

	if (!valid_name(name)) {
		rerr_set(&e, RX_DATA, "%.40s: a key name is 1 to 32 letters, digits, '.', '_' or '-'", name);
		return fail(&e);
	}
	struct store *s = NULL;
	if (open_home(&h, o, &s, NULL, &e) < 0) {
		store_free(s);
		home_free(&h);
		return fail(&e);
	}
	store_free(s);
	path = xasprintf("%s/%s.key", h.keys, name);
	rc = seckey_generate(&k, &e) == 0 ? seckey_save(&k, path, &e) : -1;
	free(path);
	home_free(&h);
	if (rc < 0) {
		seckey_free(&k);
		return fail(&e);
	}
	sig_pk_b64(pk, k.pk);
	seckey_free(&k);
	return print_id(pk);
}

/* Lists what lister reads from the home's state folder: open, read, print. */
static int list_state(const struct common *o,
		      int (*lister)(struct store *s, struct kv **recs, size_t *n, struct rerr *e),
		      const struct field *f, size_t nf)
{
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv *recs = NULL;
	size_t n = 0;
	int rc = -1;

	if (open_home(&h, o, &s, NULL, &e) == 0 && lister(s, &recs, &n, &e) == 0) {
		rc = format_records(stdout, f, nf, recs, n, o->json) < 0 ? RX_IO : 0;
		store_records_free(recs, n);
	}
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}

static int cmd_add_rm(const struct common *o, const struct args *a, const char *car, int add)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;

	if (add && a->rate == NULL)
		return usage_error(usage, "add: --rate N is required");
	if (open_home(&h, o, &s, NULL, &e) < 0)
		goto err;
	if ((add ? management_check_add(s, car, a->rate, a->model, &e)
		 : management_check_rm(s, car, &e)) < 0 && e.code != RX_REFUSED)
		goto err;
	struct rerr rule = e;
	if (home_require(s, actor, ROLE_ADMIN, add ? "register cars" : "delete cars", &e) < 0)
		goto err;
	if (rule.msg[0]) {
		e = rule;
		goto err;
	}
	event_init(&ev);
	event_start(&ev, add ? "car.add" : "car.rm", actor);
	kv_set(&ev.f, "car", car);
	if (add) {
		kv_set(&ev.f, "rate", a->rate);
		if (a->model)
			kv_set(&ev.f, "model", a->model);
	}
	return submit(&h, s, actor, &ev, car);
err:
	store_free(s);
	home_free(&h);
	return fail(&e);
}

static int cmd_show(const struct common *o, const char *car)
{
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv c, *b = NULL;
	size_t nb = 0;
	int rc;

	if (!valid_name(car)) {
		rerr_set(&e, RX_DATA, "%.40s: not a car id", car);
		return fail(&e);
	}
	if (open_home(&h, o, &s, NULL, &e) < 0 || (rc = management_car(s, car, &c, &e)) < 0) {
		store_free(s);
		home_free(&h);
		return fail(&e);
	}
	if (rc == 1) {
		store_free(s);
		home_free(&h);
		rerr_set(&e, RX_REFUSED, "%s: unknown car", car);
		return fail(&e);
	}
	if (management_bookings(s, car, &b, &nb, &e) < 0) {
		kv_free(&c);
		store_free(s);
		home_free(&h);
		return fail(&e);
	}
	if (o->json) {
		json_t *obj = format_json(car_fields, 6, &c), *arr = json_array();
		for (size_t i = 0; i < nb; i++)
			json_array_append_new(arr, format_json(booking_fields, 4, &b[i]));
		json_object_set_new(obj, "bookings", arr);
		rc = format_json_line(stdout, obj);
		json_decref(obj);
	} else {
		rc = format_records(stdout, car_fields, 6, &c, 1, 0);
		if (nb > 0) {
			printf("\n");
			rc |= format_records(stdout, booking_fields, 4, b, nb, 0);
		}
	}
	kv_free(&c);
	store_records_free(b, nb);
	store_free(s);
	home_free(&h);
	return finish(rc < 0 ? RX_IO : 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"rate", required_argument, NULL, 'r'},
		{"model", required_argument, NULL, 'm'},
		{"role", required_argument, NULL, 'R'},
		{"pubkey", required_argument, NULL, 'p'},
		{"replica", required_argument, NULL, 'F'},
		{"trust", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0}};
	struct common o = {0};
	struct args a = {0};
	int rc;

	prog = "carctl";
	if ((rc = cli_start(&argc, &argv, opts, &o, own_option, &a, usage)) >= 0)
		return rc;
	if (argc < 1)
		return usage_error(usage, "a command is required");
	const char *cmd = argv[0];
	if (!strcmp(cmd, "init"))
		return cmd_init(&o, &a, argc - 1, argv + 1);
	if (!strcmp(cmd, "key")) {
		if (argc >= 2 && !strcmp(argv[1], "list") && argc == 2)
			return list_state(&o, ledger_keys, key_fields, 3);
		if (argc == 3 && !strcmp(argv[1], "add"))
			return cmd_key_add(&o, &a, argv[2]);
		if (argc == 3 && !strcmp(argv[1], "gen"))
			return cmd_key_gen(&o, argv[2]);
		return usage_error(usage, "key: expected add NAME, gen NAME or list");
	}
	if ((!strcmp(cmd, "add") || !strcmp(cmd, "rm") || !strcmp(cmd, "show")) && argc != 2)
		return usage_error(usage, "%s: expected one CAR", cmd);
	if (!strcmp(cmd, "add") || !strcmp(cmd, "rm"))
		return cmd_add_rm(&o, &a, argv[1], !strcmp(cmd, "add"));
	if (!strcmp(cmd, "show"))
		return cmd_show(&o, argv[1]);
	if (!strcmp(cmd, "list") && argc == 1)
		return list_state(&o, management_list, car_fields, 6);
	return usage_error(usage, "%s: unknown command", cmd);
}
