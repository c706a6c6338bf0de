/* carctl: the fleet and the keys: init, key add/gen/list/rm, add, set, rm, block,
 * unblock, list, show, cal, ical. */
#include "cli.h"
#include "ledger.h"
#include "gitsig.h"
#include "limit.h"
#include "management.h"
#include "reservation.h"
#include "sign.h"
#include "spool.h"
#include <errno.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"carctl [--home DIR] [--as NAME] COMMAND ...\n"
	"  carctl init [DIR]\n"
	"  carctl init --replica URL DIR [--trust PUBKEY]\n"
	"  carctl key add NAME [--role customer|admin] [--pubkey BASE64]\n"
	"  carctl key gen NAME\n"
	"  carctl key rm NAME\n"
	"  carctl key list [--json | --csv]\n"
	"  carctl add CAR --rate N [--model TEXT] [--weekly N] [--monthly N] [--late-fee N]\n"
	"  carctl set CAR [--rate N] [--model TEXT] [--weekly N] [--monthly N] [--late-fee N]\n"
	"  carctl rm CAR\n"
	"  carctl block CAR --from YYYY-MM-DD --to YYYY-MM-DD [--reason TEXT]\n"
	"  carctl unblock BLK\n"
	"  carctl list [--from YYYY-MM-DD --to YYYY-MM-DD] [--json | --csv]\n"
	"  carctl show CAR [--json | --csv]\n"
	"  carctl cal [CAR...] [--month YYYY-MM] [--json | --csv]\n"
	"  carctl ical [CAR...]\n"
	"  carctl report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by car|month] [--json | --csv]\n";

struct args {
	const char *role, *pubkey, *from, *to, *reason, *month, *replica, *trust, *by;
	struct car_settings set;
};

static int own_option(int c, void *arg)
{
	struct args *a = arg;

	switch (c) {
	case 'r': a->set.rate = optarg; return 0;
	case 'm': a->set.model = optarg; return 0;
	case 'w': a->set.weekly = optarg; return 0;
	case 'M': a->set.monthly = optarg; return 0;
	case 'l': a->set.late_fee = optarg; return 0;
	case 'R': a->role = optarg; return 0;
	case 'p': a->pubkey = optarg; return 0;
	case 'F': a->replica = optarg; return 0;
	case 'T': a->trust = optarg; return 0;
	case 'f': a->from = optarg; return 0;
	case 't': a->to = optarg; return 0;
	case 'x': a->reason = optarg; return 0;
	case 'o': a->month = optarg; return 0;
	case 'b': a->by = optarg; return 0;
	}
	return -1;
}

static const struct field car_fields[] = {
	{"car", F_STR, 12}, {"model", F_STRNULL, 16}, {"rate", F_NUM, 8}, {"status", F_STR, 10},
	{"stars", F_NUMNULL, 5}, {"ratings", F_NUM, 7}, {"weekly", F_NUMNULL, 8},
	{"monthly", F_NUMNULL, 8}, {"late_fee", F_NUMNULL, 8}};
#define LIST_FIELDS 6 /* carctl list: the first six */
#define SHOW_FIELDS 9 /* carctl show: all */
static const struct field free_fields[] = {
	{"car", F_STR, 12}, {"model", F_STRNULL, 16}, {"rate", F_NUM, 8}, {"status", F_STR, 10},
	{"stars", F_NUMNULL, 5}, {"ratings", F_NUM, 7}, {"amount", F_NUM, 9}};
static const struct field booking_fields[] = {
	{"reservation", F_STR, 20}, {"from", F_STR, 10}, {"to", F_STR, 10}, {"status", F_STR, 20}};
static const struct field review_fields[] = {
	{"stars", F_NUM, 5}, {"comment", F_STRNULL, 30}, {"date", F_STR, 10}};
static const struct field key_fields[] = {
	{"name", F_STR, 16}, {"role", F_STR, 8}, {"pubkey", F_STR, 44}, {"revoked", F_BOOL, 7}};

#define N(a) (sizeof(a) / sizeof((a)[0]))

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
		sayf("%s: already a home, nothing changed", h.root);
	else if (rc == 0 && home_replica_read(&h, &r, &e) == 0 && r.trusted) {
		key = gitsig_ssh_pubkey(r.trust);
		sayf("%s: a replica of %s, trusting the dispatcher key %s (%s)",
			h.root, r.url, key, r.trusted_from);
		free(key);
	} else if (rc == 0) {
		sayf("%s: a replica of %s, which has no history yet", h.root, r.url);
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
		sayf("%s: home created, admin key in %s/admin.key", h.root, h.keys);
	else
		sayf("%s: already a home, nothing changed", h.root);
	home_free(&h);
	return finish(0);
}

/* Signs and spools an admin event; prints what names the object. */
static int submit(struct home *h, struct store *s, const char *actor, struct event *ev,
		  const char *printed)
{
	struct rerr e = {0};
	char *id = xstrdup(printed);
	int rc = home_submit(h, s, actor, ev, &e);

	event_free(ev);
	store_free(s);
	home_free(h);
	rc = rc < 0 ? fail(&e) : print_id(id);
	free(id);
	return rc;
}

/* The end of a refused command: frees what it opened, says why. */
static int refuse(struct home *h, struct store *s, const struct rerr *e)
{
	store_free(s);
	home_free(h);
	return fail(e);
}

/* Opens the home for an admin act whose rule (run first, against the applied state)
 * said why: a bad value (65) before a wrong identity (77), that before a refusal of
 * the business (1, 75). *s is open on success. */
static int admin_act(struct home *h, const struct common *o, struct store **s, const char *what,
		     int ctx, int (*rule)(struct store *s, void *arg, struct rerr *e), void *arg,
		     struct rerr *e)
{
	struct rerr why = {0};

	if (open_home(h, o, s, NULL, e) < 0 || home_check_writable(h, e) < 0)
		return -1;
	if (rule(*s, arg, &why) < 0 && why.code != RX_REFUSED && why.code != RX_TEMP) {
		*e = why;
		return -1;
	}
	if (why.code == RX_REFUSED && ctx >= 0) /* on a state that may not show the log yet */
		context_refusal(*s, ctx, &why);
	if (home_require(h, *s, home_actor(o->as), ROLE_ADMIN, what, e) < 0)
		return -1;
	if (why.msg[0]) {
		*e = why;
		return -1;
	}
	return 0;
}

/* ---- keys ---- */

struct key_add {
	const char *name;
	const char *pubkey; /* --pubkey's, or "" (a new key) */
	int revoked; /* set by the rule: the name's key is revoked */
};

static int key_add_rule(struct store *s, void *arg, struct rerr *e)
{
	struct key_add *k = arg;
	struct kv key;
	int rc = ledger_check_key_add(s, k->name, k->pubkey, e);

	if (rc == 0 && ledger_key(s, k->name, &key, e) == 0) {
		k->revoked = 1;
		kv_free(&key);
	}
	return rc;
}

static int cmd_key_add(const struct common *o, const struct args *a, const char *name)
{
	const char *actor = home_actor(o->as), *role = a->role ? a->role : "customer";
	struct key_add ka = {name, a->pubkey ? a->pubkey : "", 0};
	struct home h;
	struct store *s = NULL;
	struct seckey k = {0};
	struct rerr e = {0};
	struct event ev;
	char pk[SIG_PK_B64], *path = NULL, *tmp = NULL;
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
	if (admin_act(&h, o, &s, "register keys", -1, key_add_rule, &ka, &e) < 0)
		return refuse(&h, s, &e);
	if (a->pubkey) {
		snprintf(pk, sizeof pk, "%s", a->pubkey);
	} else {
		/* The new key pair is made under a temporary name and takes keys/NAME.key
		 * (a revoked name's old one too) only once its registration is spooled. */
		path = xasprintf("%s/%s.key", h.keys, name);
		tmp = xasprintf("%s/.%s.key.%ld", h.keys, name, (long)getpid());
		if (!ka.revoked && fs_exists(path)) {
			rerr_set(&e, RX_REFUSED, "%s: key exists already", path);
			goto err;
		}
		if (seckey_generate(&k, &e) < 0 || seckey_save(&k, tmp, &e) < 0)
			goto err;
		sig_pk_b64(pk, k.pk);
		seckey_free(&k);
	}
	event_init(&ev);
	event_start(&ev, "key.add", actor);
	kv_set(&ev.f, "name", name);
	kv_set(&ev.f, "role", role);
	kv_set(&ev.f, "pubkey", pk);
	rc = home_submit(&h, s, actor, &ev, &e);
	event_free(&ev);
	if (rc < 0)
		goto err;
	/* The registration is spooled: the new secret key takes its name durably, or stays
	 * where it is, said (it is the only copy). */
	if (tmp && rename(tmp, path) < 0) {
		rerr_set(&e, RX_IO, "%s: %s; the new secret key is in %s", path, strerror(errno), tmp);
		free(tmp);
		tmp = NULL;
		goto err;
	}
	if (tmp && fs_fsync_dir(h.keys, &e) < 0) {
		free(tmp);
		tmp = NULL;
		goto err;
	}
	free(tmp);
	free(path);
	store_free(s);
	home_free(&h);
	return print_id(name);
err:
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(path);
	seckey_free(&k);
	return refuse(&h, s, &e);
}

struct key_rm {
	const char *name;
	const struct home *h; /* the home admin_act opens: its spool */
	char **waiting;       /* the names whose key.rm waits in it */
	size_t nwaiting;
};

/* Whether name's revocation waits in the spool. */
static int revocation_waits(const char *name, void *arg)
{
	const struct key_rm *k = arg;

	for (size_t i = 0; i < k->nwaiting; i++)
		if (strcmp(k->waiting[i], name) == 0)
			return 1;
	return 0;
}

static int key_rm_rule(struct store *s, void *arg, struct rerr *e)
{
	struct key_rm *k = arg;
	struct key_rm_going going = {revocation_waits, k};

	k->nwaiting = spool_values(k->h->spool, "key.rm", "name", &k->waiting);
	return ledger_check_key_rm(s, k->name, &going, e);
}

static int cmd_key_rm(const struct common *o, const char *name)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct key_rm k = {name, &h, NULL, 0};
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;
	int rc;

	if (!valid_name(name)) {
		rerr_set(&e, RX_DATA, "%.40s: not a key name", name);
		return fail(&e);
	}
	rc = admin_act(&h, o, &s, "revoke keys", -1, key_rm_rule, &k, &e);
	for (size_t i = 0; i < k.nwaiting; i++)
		free(k.waiting[i]);
	free(k.waiting);
	if (rc < 0) {
		home_key_waits(&h, name, &e);
		return refuse(&h, s, &e);
	}
	event_init(&ev);
	event_start(&ev, "key.rm", actor);
	kv_set(&ev.f, "name", name);
	return submit(&h, s, actor, &ev, name);
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
	if (open_home(&h, o, &s, NULL, &e) < 0)
		return refuse(&h, s, &e);
	store_free(s);
	path = xasprintf("%s/%s.key", h.keys, name);
	rc = seckey_generate(&k, &e) == 0 ? seckey_save(&k, path, &e) : -1;
	if (rc < 0) {
		free(path);
		home_free(&h);
		seckey_free(&k);
		return fail(&e);
	}
	sig_pk_b64(pk, k.pk);
	seckey_free(&k);
	/* A public key no one saw is a key not made: without it, no one can register
	 * it, and the name stays taken. */
	signal(SIGPIPE, SIG_IGN);
	printf("%s\n", pk);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		unlink(path);
		rerr_set(&e, RX_IO, "stdout: write error; %s/%s.key is not kept", h.keys, name);
		say(e.msg, NULL); /* not fail(): its check of stdout would say it again */
		rc = RX_IO;
	}
	free(path);
	home_free(&h);
	return rc;
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
		rc = format_records(stdout, f, nf, recs, n, o->mode) < 0 ? RX_IO : 0;
		store_records_free(recs, n);
	}
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}

/* ---- cars ---- */

struct car_act {
	const char *car;
	const struct car_settings *set;
	int kind; /* 'a' add, 's' set, 'r' rm */
};

static int car_rule(struct store *s, void *arg, struct rerr *e)
{
	const struct car_act *c = arg;

	if (c->kind == 'a')
		return management_check_add(s, c->car, c->set, e);
	if (c->kind == 's')
		return management_check_set(s, c->car, c->set, e);
	if (management_check_rm(s, c->car, e) == 0)
		return 0;
	return e->code == RX_REFUSED ? management_name_holder(s, c->car, e) : -1;
}

static int cmd_car(const struct common *o, const struct args *a, const char *car, int kind)
{
	static const char *const what[] = {"register cars", "change cars", "delete cars"};
	const struct car_settings *set = &a->set;
	const char *actor = home_actor(o->as);
	struct car_act act = {car, set, kind};
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;

	if (kind == 'a' && set->rate == NULL)
		return usage_error(usage, "add: --rate N is required");
	if (kind == 's' && !set->rate && !set->model && !set->weekly && !set->monthly && !set->late_fee)
		return usage_error(usage, "set: give at least one of --rate, --model, --weekly, --monthly, --late-fee");
	if (set->model && limit_input_text(set->model, NULL, "model", &e) < 0)
		return fail(&e); /* what a user can get wrong by typing: 65 before anything else */
	if (admin_act(&h, o, &s, what[kind == 'a' ? 0 : kind == 's' ? 1 : 2], CTX_MANAGEMENT, car_rule, &act, &e) < 0) {
		home_car_waits(&h, s, car, &e);
		return refuse(&h, s, &e);
	}
	event_init(&ev);
	event_start(&ev, kind == 'a' ? "car.add" : kind == 's' ? "car.set" : "car.rm", actor);
	kv_set(&ev.f, "car", car);
	if (kind != 'r') {
		const struct { const char *k, *v; } given[] = {
			{"rate", set->rate}, {"model", set->model}, {"weekly", set->weekly},
			{"monthly", set->monthly}, {"late_fee", set->late_fee}};
		for (size_t i = 0; i < N(given); i++)
			if (given[i].v)
				kv_set(&ev.f, given[i].k, given[i].v);
	}
	return submit(&h, s, actor, &ev, car);
}

/* ---- blocks ---- */

struct block_act {
	const char *car, *from, *to, *blk;
	const struct home *h; /* unblock: the home admin_act opens, its settings read */
};

static int block_rule(struct store *s, void *arg, struct rerr *e)
{
	const struct block_act *b = arg;
	char today[11];

	today_utc(today);
	return reservation_check_block(s, b->car, b->from, b->to, today, e);
}

static int cmd_block(const struct common *o, const struct args *a, const char *car)
{
	const char *actor = home_actor(o->as);
	struct block_act b = {car, a->from, a->to, NULL, NULL};
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;
	char today[11], id[ID_LEN];

	if (a->from == NULL || a->to == NULL)
		return usage_error(usage, "block: --from and --to are required");
	today_utc(today);
	if (reservation_check_request(car, a->from, a->to, today, &e) < 0 ||
	    (a->reason && limit_input_text(a->reason, NULL, "reason", &e) < 0))
		return fail(&e); /* what a user can get wrong by typing: 65 before anything else */
	if (admin_act(&h, o, &s, "block cars", CTX_RESERVATION, block_rule, &b, &e) < 0) {
		home_car_waits(&h, s, car, &e);
		return refuse(&h, s, &e);
	}
	event_init(&ev);
	event_start(&ev, "car.block", actor);
	kv_set(&ev.f, "car", car);
	kv_set(&ev.f, "from", a->from);
	kv_set(&ev.f, "to", a->to);
	if (a->reason)
		kv_set(&ev.f, "reason", a->reason);
	snprintf(id, sizeof id, "%s", kv_get(&ev.f, "id"));
	return submit(&h, s, actor, &ev, id);
}

static int unblock_rule(struct store *s, void *arg, struct rerr *e)
{
	const struct block_act *b = arg;
	struct kv rec;
	int rc = reservation_block(s, b->blk, &rec, e);

	kv_free(&rec);
	if (rc < 0)
		return -1;
	if (rc == 1 && spool_has_id(b->h->spool, b->blk)) /* written, not yet applied */
		return rerr_set(e, RX_TEMP, "%s: not yet applied", b->blk);
	return reservation_check_unblock(s, b->blk, e);
}

static int cmd_unblock(const struct common *o, const char *blk)
{
	const char *actor = home_actor(o->as);
	struct home h;
	struct block_act b = {NULL, NULL, NULL, blk, &h};
	struct store *s = NULL;
	struct rerr e = {0};
	struct event ev;

	if (!valid_id(blk, "blk")) {
		rerr_set(&e, RX_DATA, "%.40s: not a block id (blk- and 16 hex digits)", blk);
		return fail(&e);
	}
	/* The rule looks for a block not yet applied in the spool the settings name, in h
	 * as admin_act opened it. */
	if (admin_act(&h, o, &s, "unblock cars", CTX_RESERVATION, unblock_rule, &b, &e) < 0)
		return refuse(&h, s, &e);
	event_init(&ev);
	event_start(&ev, "car.unblock", actor);
	kv_set(&ev.f, "block", blk);
	return submit(&h, s, actor, &ev, blk);
}

/* ---- listings ---- */

/* carctl list --from --to: the cars free on every night of the stay, with its price. */
static int cmd_list_free(const struct common *o, const struct args *a)
{
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv *recs = NULL, *free_cars = NULL;
	size_t n = 0, nfree = 0;
	int rc = -1;

	if (a->from == NULL || a->to == NULL)
		return usage_error(usage, "list: --from and --to go together");
	char today[11];
	today_utc(today);
	if (limit_stay(a->from, a->to, today, &e) < 0) /* a stay that could be booked, as --quote */
		return fail(&e);
	if (open_home(&h, o, &s, NULL, &e) == 0 && management_list(s, &recs, &n, &e) == 0 &&
	    reservation_free_cars(s, a->from, a->to, &free_cars, &nfree, &e) == 0) {
		/* Management's record of each free car, with its price: both in car order. */
		struct kv *out = xcalloc(nfree + 1, sizeof *out);
		size_t nout = 0;
		for (size_t i = 0, j = 0; i < nfree; i++) {
			const char *car = kv_get(&free_cars[i], "car");
			while (j < n && strcmp(kv_get(&recs[j], "car"), car) < 0)
				j++;
			if (j < n && strcmp(kv_get(&recs[j], "car"), car) == 0) {
				kv_set(&recs[j], "amount", kv_get(&free_cars[i], "amount"));
				out[nout++] = recs[j];
				kv_init(&recs[j++]);
			}
		}
		rc = format_records(stdout, free_fields, N(free_fields), out, nout, o->mode) < 0 ? RX_IO : 0;
		store_records_free(out, nout);
	}
	store_records_free(free_cars, nfree);
	store_records_free(recs, n);
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}

/* The car as management knows it (1 and e set when unknown: 75 while its registration
 * waits in h's spool). */
static int known_car(const struct home *h, struct store *s, const char *car, struct kv *c,
		     struct rerr *e)
{
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: not a car id", car);
	rc = management_car(s, car, c, e);
	if (rc == 1) {
		rerr_set(e, RX_REFUSED, "%s: unknown car", car);
		home_car_waits(h, s, car, e);
	}
	return rc;
}

static int cmd_show(const struct common *o, const char *car)
{
	static const char *const names[] = {"car", "model", "rate", "status", "stars", "ratings",
					    "weekly", "monthly", "late_fee", "bookings", "reviews"};
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv c, *b = NULL, *r = NULL;
	size_t nb = 0, nr = 0;
	int rc;

	if (!valid_name(car)) {
		rerr_set(&e, RX_DATA, "%.40s: not a car id", car);
		return fail(&e);
	}
	if (open_home(&h, o, &s, NULL, &e) < 0 || known_car(&h, s, car, &c, &e) != 0)
		return refuse(&h, s, &e);
	if (management_bookings(s, car, &b, &nb, &e) < 0 || management_reviews(s, car, &r, &nr, &e) < 0) {
		kv_free(&c);
		store_records_free(b, nb);
		return refuse(&h, s, &e);
	}
	if (o->mode != FMT_TABLE) {
		json_t *obj = format_json(car_fields, SHOW_FIELDS, &c), *arr = json_array(), *rev = json_array();
		for (size_t i = 0; i < nb; i++)
			json_array_append_new(arr, format_json(booking_fields, N(booking_fields), &b[i]));
		for (size_t i = 0; i < nr; i++)
			json_array_append_new(rev, format_json(review_fields, N(review_fields), &r[i]));
		json_object_set_new(obj, "bookings", arr);
		json_object_set_new(obj, "reviews", rev);
		rc = format_objects(stdout, names, N(names), &obj, 1, o->mode);
		json_decref(obj);
	} else {
		rc = format_records(stdout, car_fields, SHOW_FIELDS, &c, 1, FMT_TABLE);
		if (nb > 0) {
			printf("\n");
			rc |= format_records(stdout, booking_fields, N(booking_fields), b, nb, FMT_TABLE);
		}
		if (nr > 0) {
			printf("\n");
			rc |= format_records(stdout, review_fields, N(review_fields), r, nr, FMT_TABLE);
		}
	}
	kv_free(&c);
	store_records_free(b, nb);
	store_records_free(r, nr);
	store_free(s);
	home_free(&h);
	return finish(rc < 0 ? RX_IO : 0);
}

/* The cars named (each known: 65, 1, 75), or every car; *names to free with the array. */
static int pick_cars(const struct home *h, struct store *s, int argc, char **argv, char ***cars,
		     size_t *n, struct rerr *e)
{
	struct kv *all = NULL, c;
	size_t nall = 0;

	*cars = NULL;
	*n = 0;
	if (argc == 0) {
		if (management_list(s, &all, &nall, e) < 0)
			return -1;
		*cars = xcalloc(nall + 1, sizeof **cars);
		for (size_t i = 0; i < nall; i++)
			(*cars)[(*n)++] = xstrdup(kv_get(&all[i], "car"));
		store_records_free(all, nall);
		return 0;
	}
	*cars = xcalloc((size_t)argc + 1, sizeof **cars);
	for (int i = 0; i < argc; i++) {
		int rc = known_car(h, s, argv[i], &c, e), again = 0;
		if (rc != 0)
			return -1;
		kv_free(&c);
		for (size_t j = 0; j < *n && !again; j++)
			again = strcmp((*cars)[j], argv[i]) == 0; /* each car once */
		if (!again)
			(*cars)[(*n)++] = xstrdup(argv[i]);
	}
	return 0;
}

static void free_cars(char **cars, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cars[i]);
	free(cars);
}

/* A status of a night as the calendar shows it: its letter, its JSON word, colour. */
static const struct {
	const char *status, *word, *colour;
	char letter;
} nights[] = {
	{NULL, "free", "", '.'},
	{ST_RESERVED, "reserved", "\033[33m", 'R'},
	{ST_RENTED, "rented", "\033[31m", 'X'},
	{ST_BLOCKED, "blocked", "\033[34m", 'B'},
};

static size_t night_of(const char *status)
{
	for (size_t i = 1; status && i < N(nights); i++)
		if (strcmp(nights[i].status, status) == 0)
			return i;
	return 0;
}

/* The days of the month month (YYYY-MM), and its year and month. */
static int month_days(const char *month, int *y, int *m, struct rerr *e)
{
	char first[16];
	int yy, mm, dd;

	snprintf(first, sizeof first, "%.7s-01", month);
	if (strlen(month) != 7 || !valid_date(first))
		return rerr_set(e, RX_DATA, "--month %.40s: not a month (YYYY-MM)", month);
	*y = atoi(first);
	*m = atoi(first + 5);
	date_from_days(date_days(first) + 31, &yy, &mm, &dd);
	return 31 - (dd - 1);
}

/* One car's line of the grid: its id in width columns, a letter a night; colour runs
 * of the same letter when colour is set. */
static void grid_line(const char *car, int width, size_t *night, int ndays, int colour)
{
	printf("%-*s ", width, car);
	for (int d = 0; d < ndays;) {
		int end = d;
		while (end < ndays && night[end] == night[d])
			end++;
		if (colour && night[d] != 0)
			fputs(nights[night[d]].colour, stdout);
		for (int i = d; i < end; i++)
			putchar(nights[night[d]].letter);
		if (colour && night[d] != 0)
			fputs("\033[0m", stdout);
		d = end;
	}
	putchar('\n');
}

static int cmd_cal(const struct common *o, const struct args *a, int argc, char **argv)
{
	static const char *const names[] = {"car", "month", "days"};
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	char month[16], today[11], **cars = NULL;
	size_t ncars = 0;
	int y = 0, m = 0, ndays, rc = 0, width = 7;
	/* CONTRACT: colour "unless NO_COLOR is set", so set and empty too. */
	int colour = o->mode == FMT_TABLE && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	today_utc(today);
	snprintf(month, sizeof month, "%.7s", today);
	if ((ndays = month_days(a->month ? a->month : month, &y, &m, &e)) < 0)
		return fail(&e);
	for (int i = 0; i < argc; i++)
		if (!valid_name(argv[i])) {
			rerr_set(&e, RX_DATA, "%.40s: not a car id", argv[i]);
			return fail(&e);
		}
	snprintf(month, sizeof month, "%04d-%02d", y % 10000, m % 100);
	if (open_home(&h, o, &s, NULL, &e) < 0 || pick_cars(&h, s, argc, argv, &cars, &ncars, &e) < 0) {
		free_cars(cars, ncars);
		return refuse(&h, s, &e);
	}
	if (o->mode == FMT_CSV)
		rc = format_objects(stdout, names, N(names), NULL, 0, FMT_CSV);
	for (size_t i = 0; i < ncars; i++)
		if ((int)strlen(cars[i]) > width)
			width = (int)strlen(cars[i]);
	if (o->mode == FMT_TABLE) {
		printf("%-*s ", width, month);
		for (int d = 1; d <= ndays; d++)
			putchar('0' + d / 10);
		printf("\n%-*s ", width, "");
		for (int d = 1; d <= ndays; d++)
			putchar('0' + d % 10);
		putchar('\n');
	}
	for (size_t i = 0; rc == 0 && i < ncars; i++) {
		const char *days[31];
		size_t night[31];
		if (reservation_month(s, cars[i], y, m, days, &e) < 0) {
			rc = -1;
			break;
		}
		for (int d = 0; d < ndays; d++)
			night[d] = night_of(days[d]);
		if (o->mode == FMT_TABLE) {
			grid_line(cars[i], width, night, ndays, colour);
			continue;
		}
		json_t *obj = json_object(), *arr = json_array();
		json_object_set_new(obj, "car", json_string(cars[i]));
		json_object_set_new(obj, "month", json_string(month));
		for (int d = 0; d < ndays; d++)
			json_array_append_new(arr, json_string(nights[night[d]].word));
		json_object_set_new(obj, "days", arr);
		rc = format_object(stdout, names, N(names), obj, o->mode); /* the header is above */
		json_decref(obj);
	}
	free_cars(cars, ncars);
	store_free(s);
	home_free(&h);
	if (rc < 0 && e.msg[0])
		return fail(&e);
	return finish(rc < 0 || ferror(stdout) ? RX_IO : 0);
}

/* "YYYYMMDD" of a date. */
static void ical_date(char out[9], const char *d)
{
	snprintf(out, 9, "%.4s%.2s%.2s", d, d + 5, d + 8);
}

static int cmd_ical(const struct common *o, int argc, char **argv)
{
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	char **cars = NULL, stamp[32], from[9], to[9];
	size_t ncars = 0, n = 0;
	struct kv *recs = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	for (int i = 0; i < argc; i++)
		if (!valid_name(argv[i])) {
			rerr_set(&e, RX_DATA, "%.40s: not a car id", argv[i]);
			return fail(&e);
		}
	if (open_home(&h, o, &s, NULL, &e) < 0 || (argc > 0 && pick_cars(&h, s, argc, argv, &cars, &ncars, &e) < 0) ||
	    reservation_holds(s, cars, ncars, &recs, &n, &e) < 0) {
		free_cars(cars, ncars);
		return refuse(&h, s, &e);
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "DTSTAMP:%Y%m%dT%H%M%SZ", &tm);
	format_ical_line(stdout, "BEGIN:VCALENDAR");
	format_ical_line(stdout, "VERSION:2.0");
	format_ical_line(stdout, "PRODID:-//rental//carctl " RENTAL_VERSION "//EN");
	format_ical_line(stdout, "CALSCALE:GREGORIAN");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *id = kv_get(&recs[i], "reservation"), *f = kv_get(&recs[i], "from");
		const char *t = kv_get(&recs[i], "to"), *st = kv_get(&recs[i], "status");
		if (!id || !f || !t || !st || !valid_date(f) || !valid_date(t))
			continue;
		char *summary = format_ical_text(kv_get(&recs[i], "car"));
		char *uid = xasprintf("UID:%s@rental", id), *line = xasprintf("SUMMARY:%s %s", summary, st);
		ical_date(from, f);
		ical_date(to, t);
		char *start = xasprintf("DTSTART;VALUE=DATE:%s", from), *end = xasprintf("DTEND;VALUE=DATE:%s", to);
		if (format_ical_line(stdout, "BEGIN:VEVENT") < 0 || format_ical_line(stdout, uid) < 0 ||
		    format_ical_line(stdout, stamp) < 0 || format_ical_line(stdout, start) < 0 ||
		    format_ical_line(stdout, end) < 0 || format_ical_line(stdout, line) < 0)
			rc = -1;
		if (rc == 0 && kv_get(&recs[i], "reason")) { /* a block's, never a customer's */
			char *text = format_ical_text(kv_get(&recs[i], "reason"));
			char *desc = xasprintf("DESCRIPTION:%s", text ? text : "");
			rc = format_ical_line(stdout, desc);
			free(desc);
			free(text);
		}
		if (rc == 0 && format_ical_line(stdout, "END:VEVENT") < 0)
			rc = -1;
		free(summary);
		free(uid);
		free(line);
		free(start);
		free(end);
	}
	format_ical_line(stdout, "END:VCALENDAR");
	store_records_free(recs, n);
	free_cars(cars, ncars);
	store_free(s);
	home_free(&h);
	return finish(rc < 0 || ferror(stdout) ? RX_IO : 0);
}

/* ---- the report ---- */

#define REPORT_DAYS_MAX 3660 /* ten years: a period's cost is its months x the fleet */

static const struct field report_fields[] = {
	{"car", F_STR, 12}, {"bookings", F_NUM, 8}, {"nights", F_NUM, 6}, {"revenue", F_NUM, 12},
	{"refunds", F_NUM, 10}, {"utilisation", F_NUMNULL, 11}, {"stars", F_NUMNULL, 5}};

/* The period of the report: --from and --to, each by default the month of the other
 * (this month without either): the first day of the month and the first of the next. */
static int report_period(const struct args *a, char from[11], char to[11], struct rerr *e)
{
	char today[11];
	int y, m, d;

	if ((a->from && !valid_date(a->from)) || (a->to && !valid_date(a->to)))
		return rerr_set(e, RX_DATA, "%.40s: not a date (YYYY-MM-DD)",
				a->from && !valid_date(a->from) ? a->from : a->to);
	today_utc(today);
	if (a->from) {
		snprintf(from, 11, "%s", a->from);
	} else if (a->to) { /* the month of --to's last day (--to is the day after it) */
		if (date_days(a->to) < 1) /* 1970-01-01: the day before has no date */
			return rerr_set(e, RX_DATA, "--to %s: not after the first date there is; "
					"a period starts on 1970-01-01 at the earliest", a->to);
		date_from_days(date_days(a->to) - 1, &y, &m, &d);
		snprintf(from, 11, "%04d-%02d-01", y, m);
	} else {
		snprintf(from, 11, "%.8s01", today);
	}
	if (a->to) {
		snprintf(to, 11, "%s", a->to);
	} else {
		long first = date_days(from);
		date_from_days(first, &y, &m, &d);
		date_from_days(first - (d - 1) + 31, &y, &m, &d);
		if (y < 1 || y > 9999) /* the day after 9999-12-31 has no date to name it */
			return rerr_set(e, RX_DATA, "--from %s: its month ends with the last date there is; "
					"a period ends before 9999-12-31", from);
		snprintf(to, 11, "%04d-%02d-01", y, m);
	}
	if (date_days(to) <= date_days(from))
		return rerr_set(e, RX_DATA, "--to %s: not after --from %s", to, from);
	if (date_days(to) - date_days(from) > REPORT_DAYS_MAX)
		return rerr_set(e, RX_DATA, "%s to %s: more than %d days", from, to, REPORT_DAYS_MAX);
	return 0;
}

static int cmd_report(const struct common *o, const struct args *a)
{
	struct home h;
	struct store *s = NULL;
	struct rerr e = {0};
	struct kv *rows = NULL, total;
	struct field f[N(report_fields)];
	char from[11], to[11];
	size_t n = 0;
	int by_month, rc = -1;

	if (a->by && strcmp(a->by, "car") != 0 && strcmp(a->by, "month") != 0)
		return usage_error(usage, "--by %.40s: car or month", a->by);
	by_month = a->by && !strcmp(a->by, "month");
	if (report_period(a, from, to, &e) < 0)
		return fail(&e);
	memcpy(f, report_fields, sizeof f);
	if (by_month)
		f[0].name = "month", f[0].width = 7;
	kv_init(&total);
	if (open_home(&h, o, &s, NULL, &e) == 0 &&
	    home_require(&h, s, home_actor(o->as), ROLE_ADMIN, "see the report", &e) == 0 &&
	    management_report(s, from, to, by_month, &rows, &n, &total, &e) == 0) {
		if (o->mode == FMT_TABLE) { /* the total last, a line of its own */
			rows = xrealloc(rows, (n + 1) * sizeof *rows);
			rows[n++] = total;
			kv_init(&total);
		}
		rc = format_records(stdout, f, N(report_fields), rows, n, o->mode) < 0 ? RX_IO : 0;
	}
	store_records_free(rows, n);
	kv_free(&total);
	store_free(s);
	home_free(&h);
	return rc < 0 ? fail(&e) : finish(rc);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{"rate", required_argument, NULL, 'r'},
		{"model", required_argument, NULL, 'm'},
		{"weekly", required_argument, NULL, 'w'},
		{"monthly", required_argument, NULL, 'M'},
		{"late-fee", required_argument, NULL, 'l'},
		{"role", required_argument, NULL, 'R'},
		{"pubkey", required_argument, NULL, 'p'},
		{"replica", required_argument, NULL, 'F'},
		{"trust", required_argument, NULL, 'T'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"reason", required_argument, NULL, 'x'},
		{"month", required_argument, NULL, 'o'},
		{"by", required_argument, NULL, 'b'},
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
	/* The options each command takes (their letters in opts above; NULL: no such
	 * command, said below). */
	const char *ok = !strcmp(cmd, "init") ? "FT"
		: !strcmp(cmd, "key") ? (argc > 1 && !strcmp(argv[1], "add") ? "Rp"
					 : argc > 1 && !strcmp(argv[1], "list") ? "=" : "")
		: !strcmp(cmd, "add") || !strcmp(cmd, "set") ? "rmwMl"
		: !strcmp(cmd, "block") ? "ftx" : !strcmp(cmd, "cal") ? "o="
		: !strcmp(cmd, "report") ? "ftb=" : !strcmp(cmd, "list") ? "ft="
		: !strcmp(cmd, "show") ? "="
		: !strcmp(cmd, "rm") || !strcmp(cmd, "unblock") || !strcmp(cmd, "ical") ? "" : NULL;
	if (ok && (rc = cli_only(&o, cmd, ok, usage)) >= 0)
		return rc;
	if (!strcmp(cmd, "init"))
		return cmd_init(&o, &a, argc - 1, argv + 1);
	if (!strcmp(cmd, "key")) {
		if (argc >= 2 && !strcmp(argv[1], "list"))
			return argc == 2 ? list_state(&o, ledger_keys, key_fields, N(key_fields))
					 : unexpected(usage, "key list", argv[2]);
		if (argc == 3 && !strcmp(argv[1], "add"))
			return cmd_key_add(&o, &a, argv[2]);
		if (argc == 3 && !strcmp(argv[1], "gen"))
			return cmd_key_gen(&o, argv[2]);
		if (argc == 3 && !strcmp(argv[1], "rm"))
			return cmd_key_rm(&o, argv[2]);
		return usage_error(usage, "key: expected add NAME, gen NAME, rm NAME or list");
	}
	if (!strcmp(cmd, "cal"))
		return cmd_cal(&o, &a, argc - 1, argv + 1);
	if (!strcmp(cmd, "ical"))
		return cmd_ical(&o, argc - 1, argv + 1);
	if ((!strcmp(cmd, "add") || !strcmp(cmd, "set") || !strcmp(cmd, "rm") || !strcmp(cmd, "show") ||
	     !strcmp(cmd, "block")) && argc != 2)
		return usage_error(usage, "%s: expected one CAR", cmd);
	if (!strcmp(cmd, "add") || !strcmp(cmd, "set") || !strcmp(cmd, "rm"))
		return cmd_car(&o, &a, argv[1], cmd[0]);
	if (!strcmp(cmd, "block"))
		return cmd_block(&o, &a, argv[1]);
	if (!strcmp(cmd, "unblock"))
		return argc == 2 ? cmd_unblock(&o, argv[1]) : usage_error(usage, "unblock: expected one BLK");
	if (!strcmp(cmd, "show"))
		return cmd_show(&o, argv[1]);
	if ((!strcmp(cmd, "report") || !strcmp(cmd, "list")) && argc > 1)
		return unexpected(usage, cmd, argv[1]);
	if (!strcmp(cmd, "report"))
		return cmd_report(&o, &a);
	if (!strcmp(cmd, "list"))
		return a.from || a.to ? cmd_list_free(&o, &a) : list_state(&o, management_list, car_fields, LIST_FIELDS);
	return usage_error(usage, "%s: unknown command", cmd);
}
