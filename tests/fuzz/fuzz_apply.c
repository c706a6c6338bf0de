/* fuzz_apply: libFuzzer target over the whole apply path of the dispatcher: no event
 * can stop it (DESIGN 8; CONTRACT 2, "Limits that protect the home").
 *
 * LLVMFuzzerInitialize makes a home in /dev/shm (else $TMPDIR, else /tmp) as carctl
 * init does, with lib/ alone: folders, settings, the admin and dispatcher keys in keys/,
 * the genesis; it registers a second admin root, customers alice and bob, cars car01
 * and car02, and a pool of bookings in every status and a block (below); it opens the
 * state once (dispatch_open). Each input is then one event, signed with a key of that
 * home and dropped into the spool with a normal event (a car.add by admin, or by root
 * when the event names admin), and one real batch (dispatch_batch) runs: signature,
 * admission, every context, outcomes, commit. A key of ours the event revoked is
 * registered again after the batch.
 *
 * The input, read leniently, a line at a time, "key: value":
 *   type: T      the event's type (default: the table's row data[0] % EV_COUNT)
 *   as: NAME     who signs: admin, root (admins), alice, bob, dispatcher, or anyone
 *                else (an unregistered key); default: alice where a customer may,
 *                else admin where an admin may, else the dispatcher
 *   id, time, actor   replace the ones made (a fresh id of the type's prefix, now,
 *                the signer)
 *   KEY: VALUE   any other line is a field (the last of a key wins)
 *   %raw         every byte after this line is appended to the body as it is, before
 *                the signature: YAML the field lines cannot say
 * Lines without a colon are skipped. The fields are written with kv_format, so they
 * are well-formed YAML whatever they hold. A value that is one of these words stands
 * for what the home holds:
 *   @R0 @R1  alice's bookings RESERVED      @B   bob's booking RESERVED
 *   @P0 @P1  alice's bookings RENTED        @T0 @T1  alice's bookings RETURNED
 *   @J       alice's booking REJECTED       @C   the car of those bookings
 *   @A       what @P0 costs                 @S   the id of the last normal event
 *   @L       a block of @C in force
 *   @K       a public key                   @N   a new name
 *   @Ixyz    a new id of prefix xyz         @D<n>  the date n days after today
 * The pool is made again every POOL_EVERY inputs, so that inputs keep finding
 * bookings in every status.
 *
 * Properties, abort() when broken (after "fuzz_apply: PROPERTY BROKEN: ..." and the
 * home's path, left in place):
 *  - dispatch_batch returns 0, unless for a fault of this machine (no space, I/O or
 *    memory: then the input is skipped);
 *  - no context fails or is held back;
 *  - the normal event is applied: logged, and its car registered;
 *  - the event is quarantined (in spool/bad with a .reason) or applied (logged: its
 *    very bytes, unless its id was applied before and it was skipped), and spool/new
 *    is empty; the batch's counts say the same;
 *  - every $FUZZ_REBUILD_SECONDS (120; more once a rebuild takes over a tenth of
 *    that), `dispatcher --rebuild` (dispatch_rebuild) finds nothing to repair: the
 *    state is what the log says, hostile events and all. The state is closed for it
 *    and opened again; the input that runs it takes the longer as the log grows:
 *    give libFuzzer a -timeout of a minute or two.
 * FUZZ_KEEP=1 in the environment keeps the home at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "dispatch.h"
#include "event.h"
#include "home.h"
#include "ledger.h"
#include "management.h"
#include "reservation.h"
#include "sign.h"
#include "util.h"

#define POOL_EVERY 200

enum { K_ADMIN, K_ALICE, K_BOB, K_DISPATCHER, K_ROOT, K_OTHER, NKEYS };
static const char *const key_names[NKEYS] = {"admin", "alice", "bob", "dispatcher", "root",
					     "mallory"};
static struct seckey keys[NKEYS];

static char root[256];
static struct home h;
static struct store *s;
static struct cfg cfg;
static char today[11];
static unsigned long long runs, names, gen, rebuilds;
static long long last_rebuild, rebuild_seconds = 120;
static double batch_ms; /* time in dispatch_batch since the last rebuild */
static unsigned long long batches;
static char last_normal[ID_LEN];

/* The pool of bookings, made by make_pool. */
static char pool_car[40], pool_car2[40], pool_amount[24];
static char r_alice[2][ID_LEN], r_bob[ID_LEN], rented[2][ID_LEN], returned[2][ID_LEN],
	rejected[ID_LEN], blocked[ID_LEN];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_apply: PROPERTY BROKEN: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz_apply: the home is left at %s\n", root);
	abort();
}

/* A fault of this machine, not of the event: the disk, I/O, memory, descriptors. */
static int machine_fault(const struct rerr *e)
{
	static const int errs[] = {ENOSPC, EDQUOT, EIO, ENOMEM, EMFILE, ENFILE, EROFS};

	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (strstr(e->msg, strerror(errs[i])))
			return 1;
	return strstr(e->msg, "out of memory") != NULL;
}

static void clean_new(void)
{
	char *dir = xasprintf("%s/new", h.spool);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			char *p = xasprintf("%s/%s", dir, de->d_name);
			fs_remove_tree(p);
			free(p);
		}
	if (d)
		closedir(d);
	free(dir);
}

static size_t count_new(void)
{
	char *dir = xasprintf("%s/new", h.spool);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	free(dir);
	return n;
}

/* Puts buf into spool/new the maildir way, under a name that carries id (or a
 * stand-in, for an id no file name can carry) and sorts after every earlier one. */
static void drop(const char *id, const char *buf, size_t len, char name[128])
{
	static unsigned long long last;
	struct timespec ts;
	struct rerr e = {0};
	unsigned long long ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	last = ns > last ? ns : last + 1;
	snprintf(name, 128, "0%llu.%s", last, valid_id(id, NULL) ? id : "zzz-0000000000000000");
	char *tmp = xasprintf("%s/tmp/%s", h.spool, name), *dst = xasprintf("%s/new/%s", h.spool, name);
	if (fs_write_atomic(tmp, buf, len, 0, &e) < 0 || rename(tmp, dst) < 0)
		die("cannot spool %s: %s %s", name, e.msg, strerror(errno));
	free(tmp);
	free(dst);
}

/* One batch; a failure is a broken property unless the machine is at fault (1). */
static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int batch(struct dispatch_stats *st)
{
	struct rerr e = {0};
	double t0 = now_ms();
	int rc = dispatch_batch(&h, s, &cfg, st, &e);

	batch_ms += now_ms() - t0;
	batches++;
	if (rc < 0) {
		if (machine_fault(&e)) {
			fprintf(stderr, "fuzz_apply: a fault of this machine, input skipped: %s\n", e.msg);
			clean_new();
			return 1;
		}
		die("dispatch_batch failed (exit status %d): %s", e.code, e.msg);
	}
	for (int c = 0; c < CTX_COUNT; c++)
		if (st->failed[c])
			die("context %s failed and is held back: %s", context_name(c), st->failure[c]);
	if (st->held)
		die("%zu events held back", st->held);
	return 0;
}

/* A well-formed event by key k, its fields after the type given as pairs, NULL-ended;
 * spooled. Its id goes to id (if not NULL). */
static void submit(int k, const char *type, char id[ID_LEN], ...)
{
	struct event ev;
	char name[128];
	va_list ap;

	event_init(&ev);
	event_start(&ev, type, key_names[k]);
	va_start(ap, id);
	for (const char *key; (key = va_arg(ap, const char *)) != NULL;)
		kv_set(&ev.f, key, va_arg(ap, const char *));
	va_end(ap);
	event_seal(&ev, &keys[k]);
	if (id)
		snprintf(id, ID_LEN, "%s", kv_get(&ev.f, "id"));
	drop(kv_get(&ev.f, "id"), ev.raw, ev.len, name);
	event_free(&ev);
}

static void setup_batch(const char *what)
{
	struct dispatch_stats st;

	if (batch(&st) != 0 || st.quarantined)
		die("setting up the home (%s): %zu quarantined: %s", what, st.quarantined,
		    st.notes.n ? st.notes.lines[0] : "");
	report_free(&st.notes);
}

/* An input may revoke a key of ours (key.rm): the name is registered again with a new
 * key, by the other admin (at most one of admin and root goes in a batch). */
static void restore_keys(void)
{
	static const int ours[] = {K_ADMIN, K_ROOT, K_ALICE, K_BOB};
	int again = 0;

	for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
		int k = ours[i], by = k == K_ADMIN ? K_ROOT : K_ADMIN;
		struct rerr e = {0};
		char pk[SIG_PK_B64];
		struct kv key;
		int rc = ledger_key(s, key_names[k], &key, &e), revoked = rc == 0 && ledger_revoked(&key);

		kv_free(&key);
		if (rc != 0)
			die("our key %s is gone: %s", key_names[k], e.msg);
		if (!revoked)
			continue;
		seckey_free(&keys[k]);
		if (seckey_generate(&keys[k], &e) < 0)
			die("key %s: %s", key_names[k], e.msg);
		sig_pk_b64(pk, keys[k].pk);
		submit(by, "key.add", NULL, "name", key_names[k], "role",
		       k == K_ADMIN || k == K_ROOT ? "admin" : "customer", "pubkey", pk, NULL);
		again = 1;
	}
	if (again)
		setup_batch("our keys again");
}

static void day(char out[11], long n)
{
	date_format(out, date_days(today) + n);
}

static void expect_status(const char *res, const char *want)
{
	struct rerr e = {0};
	struct kv r;

	if (reservation_get(s, res, &r, &e) != 0 || strcmp(kv_get(&r, "status"), want) != 0)
		die("setting up the pool: %s is %s, not %s", res, kv_get(&r, "status") ?: e.msg, want);
	kv_free(&r);
}

/* Bookings of two new cars in every status, and a block: the pool the words @R0 ...
 * stand for. The ones returned start today (a rental is returned once it started),
 * each on its own car; the others start tomorrow and after. */
static void make_pool(void)
{
	static const struct { int who; long from; int car2; } stays[8] = {
		{K_ALICE, 1, 0}, {K_ALICE, 3, 0}, {K_ALICE, 5, 0}, {K_ALICE, 7, 0},
		{K_ALICE, 0, 0}, {K_ALICE, 0, 1}, {K_BOB, 9, 0}, {K_ALICE, 1, 0} /* overlaps 0 */};
	char res[8][ID_LEN], from[11], to[11];

	gen++;
	snprintf(pool_car, sizeof pool_car, "pool%llu", gen);
	snprintf(pool_car2, sizeof pool_car2, "pool%llub", gen);
	submit(K_ADMIN, "car.add", NULL, "car", pool_car, "rate", "1000", NULL);
	submit(K_ADMIN, "car.add", NULL, "car", pool_car2, "rate", "1000", NULL);
	setup_batch("cars");
	for (int i = 0; i < 8; i++) {
		day(from, stays[i].from);
		day(to, stays[i].from + (i == 4 || i == 5 ? 1 : 2));
		submit(stays[i].who, "reserve", res[i], "car", stays[i].car2 ? pool_car2 : pool_car,
		       "from", from, "to", to, NULL);
	}
	day(from, 20);
	day(to, 22);
	submit(K_ADMIN, "car.block", blocked, "car", pool_car, "from", from, "to", to, "reason",
	       "service", NULL);
	setup_batch("bookings");
	for (int i = 2; i < 6; i++) {
		struct rerr e = {0};
		struct kv r;
		if (reservation_get(s, res[i], &r, &e) != 0)
			die("setting up the pool: %s: %s", res[i], e.msg);
		submit(K_ALICE, "pay", NULL, "reservation", res[i], "amount", kv_get(&r, "amount"), NULL);
		if (i == 2)
			snprintf(pool_amount, sizeof pool_amount, "%s", kv_get(&r, "amount"));
		kv_free(&r);
	}
	setup_batch("payments");
	for (int i = 4; i < 6; i++)
		submit(K_ALICE, "rent.return", NULL, "reservation", res[i], NULL);
	setup_batch("returns");
	memcpy(r_alice[0], res[0], ID_LEN);
	memcpy(r_alice[1], res[1], ID_LEN);
	memcpy(rented[0], res[2], ID_LEN);
	memcpy(rented[1], res[3], ID_LEN);
	memcpy(returned[0], res[4], ID_LEN);
	memcpy(returned[1], res[5], ID_LEN);
	memcpy(r_bob, res[6], ID_LEN);
	memcpy(rejected, res[7], ID_LEN);
	expect_status(r_alice[0], ST_RESERVED);
	expect_status(r_bob, ST_RESERVED);
	expect_status(rented[1], ST_RENTED);
	expect_status(returned[0], ST_RETURNED);
	expect_status(returned[1], ST_RETURNED);
	expect_status(rejected, ST_REJECTED);
}

static void cleanup(void)
{
	const char *keep = getenv("FUZZ_KEEP");

	fprintf(stderr, "fuzz_apply: %llu inputs, %llu pools, %llu rebuilds found nothing to repair\n",
		runs, gen, rebuilds);
	store_free(s);
	s = NULL;
	if (root[0] && !(keep && strcmp(keep, "1") == 0))
		fs_remove_tree(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	static const char *const subs[] = {"config", "spool/tmp", "spool/new", "spool/bad", "keys"};
	struct rerr e = {0};
	char pk[SIG_PK_B64];

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(root, sizeof root, "%s/fuzz_apply.XXXXXX", dir);
	if (mkdtemp(root) == NULL || sig_init(&e) < 0) {
		fprintf(stderr, "fuzz_apply: %s: %s %s\n", root, strerror(errno), e.msg);
		abort();
	}
	atexit(cleanup);
	home_resolve(&h, root);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		char *p = xasprintf("%s/%s", root, subs[i]);
		if (fs_mkdirs(p, &e) < 0)
			die("%s", e.msg);
		free(p);
	}
	chmod(h.keys, 0700);
	if (fs_write_atomic(h.config, cfg_default_text(), strlen(cfg_default_text()), 0, &e) < 0 ||
	    home_load_config(&h, &cfg, &e) < 0)
		die("settings: %s", e.msg);
	for (int k = 0; k < NKEYS; k++) {
		char *p = xasprintf("%s/%s.key", h.keys, key_names[k]);
		if (seckey_generate(&keys[k], &e) < 0 ||
		    ((k == K_ADMIN || k == K_DISPATCHER) && seckey_save(&keys[k], p, &e) < 0))
			die("key %s: %s", key_names[k], e.msg);
		free(p);
	}
	/* The genesis, as carctl init writes it; then the dispatcher's first batch. */
	sig_pk_b64(pk, keys[K_ADMIN].pk);
	submit(K_ADMIN, "key.add", NULL, "name", "admin", "role", "admin", "pubkey", pk, NULL);
	if (dispatch_open(&h, &s, 0, &e) < 0)
		die("dispatch_open: %s", e.msg);
	today_utc(today);
	setup_batch("the genesis");
	sig_pk_b64(pk, keys[K_DISPATCHER].pk);
	submit(K_ADMIN, "key.add", NULL, "name", "dispatcher", "role", "system", "pubkey", pk, NULL);
	for (int k = K_ALICE; k <= K_ROOT; k++) {
		if (k == K_DISPATCHER)
			continue;
		sig_pk_b64(pk, keys[k].pk);
		submit(K_ADMIN, "key.add", NULL, "name", key_names[k], "role",
		       k == K_ROOT ? "admin" : "customer", "pubkey", pk, NULL);
	}
	setup_batch("the keys");
	submit(K_ADMIN, "car.add", NULL, "car", "car01", "rate", "50000", "model", "Avante", NULL);
	submit(K_ADMIN, "car.add", last_normal, "car", "car02", "rate", "30000", NULL);
	setup_batch("the cars");
	make_pool();
	last_rebuild = (long long)time(NULL);
	if (getenv("FUZZ_REBUILD_SECONDS"))
		rebuild_seconds = atoll(getenv("FUZZ_REBUILD_SECONDS"));
	fprintf(stderr, "fuzz_apply: a home at %s, state opened once\n", root);
	return 0;
}

/* ---- the input ---- */

/* The value v stands for (a word of the list above), or v itself; malloc'd. */
static char *stand_for(const char *v)
{
	static const struct { const char *word; const char *val; } words[] = {
		{"@R0", r_alice[0]}, {"@R1", r_alice[1]}, {"@B", r_bob}, {"@P0", rented[0]},
		{"@P1", rented[1]}, {"@T0", returned[0]}, {"@T1", returned[1]}, {"@J", rejected},
		{"@C", pool_car}, {"@A", pool_amount}, {"@S", last_normal}, {"@L", blocked}};
	char buf[64];

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(v, words[i].word) == 0)
			return xstrdup(words[i].val);
	if (strcmp(v, "@K") == 0) {
		unsigned char pk[crypto_sign_PUBLICKEYBYTES];
		char b64[SIG_PK_B64];
		randombytes_buf(pk, sizeof pk);
		sig_pk_b64(b64, pk);
		return xstrdup(b64);
	}
	if (strcmp(v, "@N") == 0)
		return xasprintf("n%llu", ++names);
	if (strncmp(v, "@I", 2) == 0 && strlen(v) == 5) {
		char id[ID_LEN];
		event_new_id(id, v + 2);
		return xstrdup(id);
	}
	if (strncmp(v, "@D", 2) == 0 && v[2] != '\0') {
		char *end;
		long n = strtol(v + 2, &end, 10);
		if (*end == '\0' && n > -100000 && n < 3000000) {
			day(buf, n);
			return xstrdup(buf);
		}
	}
	return xstrdup(v);
}

struct spec {
	const struct event_type *t; /* NULL for a type not in the table */
	char *type, *id, *time, *actor;
	int signer;
	struct kv f;
	const uint8_t *raw;
	size_t rawlen;
};

static void spec_free(struct spec *sp)
{
	free(sp->type);
	free(sp->id);
	free(sp->time);
	free(sp->actor);
	kv_free(&sp->f);
}

static void set(char **slot, const char *v)
{
	free(*slot);
	*slot = stand_for(v);
}

static void read_input(struct spec *sp, const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	memset(sp, 0, sizeof *sp);
	kv_init(&sp->f);
	sp->signer = -1;
	sp->t = event_type_of((enum event_kind)(size ? data[0] % EV_COUNT : 0));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len >= 4 && memcmp(p, "%raw", 4) == 0) {
			sp->raw = (const uint8_t *)(nl ? nl + 1 : end);
			sp->rawlen = (size_t)(end - (const char *)sp->raw);
			break;
		}
		colon = memchr(p, ':', len);
		if (colon != NULL && colon > p) {
			char *k = xstrndup(p, (size_t)(colon - p));
			const char *v = colon + 1;
			if (v < p + len && *v == ' ')
				v++;
			char *val = xstrndup(v, (size_t)(p + len - v));
			if (!strcmp(k, "type")) {
				set(&sp->type, val);
				sp->t = event_type_find(sp->type);
			} else if (!strcmp(k, "as")) {
				sp->signer = K_OTHER;
				for (int i = 0; i < K_OTHER; i++)
					if (!strcmp(val, key_names[i]))
						sp->signer = i;
				if (sp->signer == K_OTHER)
					set(&sp->actor, val);
			} else if (!strcmp(k, "id")) {
				set(&sp->id, val);
			} else if (!strcmp(k, "time")) {
				set(&sp->time, val);
			} else if (!strcmp(k, "actor")) {
				set(&sp->actor, val);
			} else {
				char *sv = stand_for(val);
				kv_set(&sp->f, k, sv);
				free(sv);
			}
			free(k);
			free(val);
		}
		p += len + 1;
	}
	if (sp->type == NULL)
		sp->type = xstrdup(sp->t->type);
	if (sp->signer < 0)
		sp->signer = sp->t == NULL ? K_ADMIN : sp->t->roles & ROLE_CUSTOMER ? K_ALICE
			     : sp->t->roles & ROLE_ADMIN ? K_ADMIN : K_DISPATCHER;
	if (sp->id == NULL) {
		char id[ID_LEN];
		event_new_id(id, sp->t ? sp->t->prefix : "evt");
		sp->id = xstrdup(id);
	}
	if (sp->time == NULL) {
		char now[21];
		event_now(now);
		sp->time = xstrdup(now);
	}
	if (sp->actor == NULL)
		sp->actor = xstrdup(key_names[sp->signer]);
}

/* The event file: the fields as kv_format writes them, the raw bytes, the signature. */
static char *seal_input(const struct spec *sp, size_t *len)
{
	struct kv m;
	size_t flen;
	char sig[SIG_B64];

	kv_init(&m);
	kv_set(&m, "id", sp->id);
	kv_set(&m, "type", sp->type);
	kv_set(&m, "time", sp->time);
	kv_set(&m, "actor", sp->actor);
	for (size_t i = 0; i < sp->f.n; i++)
		kv_set(&m, sp->f.k[i], sp->f.v[i]);
	char *fields = kv_format(&m, &flen);
	kv_free(&m);
	size_t blen = flen + sp->rawlen;
	char *body = xcalloc(1, blen + 1 + SIG_B64 + 16);
	memcpy(body, fields, flen);
	free(fields);
	if (sp->rawlen) {
		memcpy(body + flen, sp->raw, sp->rawlen);
		if (body[blen - 1] != '\n')
			body[blen++] = '\n';
	}
	sig_sign(sig, &keys[sp->signer], body, blen);
	*len = blen + (size_t)sprintf(body + blen, "signature: %s\n", sig);
	return body;
}

/* ---- the properties ---- */

/* The file at spool/DIR/NAME: 0 absent, else 1 (its bytes in *buf, if buf). */
static int spool_file(const char *dir, const char *name, char **buf, size_t *len)
{
	char *p = xasprintf("%s/%s/%s", h.spool, dir, name);
	struct rerr e = {0};
	char *b = NULL;
	size_t l = 0;
	int rc = fs_read(p, 1 << 20, &b, &l, &e);

	free(p);
	if (rc < 0)
		die("spool/%s/%s: %s", dir, name, e.msg);
	if (buf)
		*buf = b, *len = l;
	else
		free(b);
	return rc == 0;
}

static void check(const struct dispatch_stats *st, const struct spec *sp, const char *name,
		  const char *file, size_t flen, const char *car, const char *normal)
{
	struct rerr e = {0};
	struct kv c;
	char *reason = NULL, *logged = NULL;
	size_t rlen = 0, llen = 0;
	int seen;

	if (ledger_seen(s, normal, &e) != 1 || management_car(s, car, &c, &e) != 0)
		die("the normal event %s (car %s) is not applied %s", normal, car, e.msg);
	kv_free(&c);
	if (count_new() != 0)
		die("spool/new holds %zu files after the batch", count_new());
	if (spool_file("bad", name, NULL, NULL)) {
		char rname[160];
		snprintf(rname, sizeof rname, "%s.reason", name);
		if (!spool_file("bad", rname, &reason, &rlen) || rlen == 0)
			die("%s quarantined without a reason", name);
		if (st->quarantined != 1 || st->applied + st->skipped != 1)
			die("%s quarantined, but the batch counts %zu applied, %zu skipped, %zu quarantined",
			    name, st->applied, st->skipped, st->quarantined);
		free(reason);
		char *p = xasprintf("%s/bad/%s", h.spool, name), *r = xasprintf("%s/bad/%s", h.spool, rname);
		unlink(p);
		unlink(r);
		free(p);
		free(r);
		return;
	}
	seen = ledger_seen(s, sp->id, &e);
	if (seen != 1)
		die("%s is neither applied nor quarantined (lost) %s", name, e.msg);
	if (st->quarantined != 0 || st->applied + st->skipped != 2)
		die("%s applied, but the batch counts %zu applied, %zu skipped, %zu quarantined", name,
		    st->applied, st->skipped, st->quarantined);
	if (st->skipped == 0) {
		if (ledger_logged(s, sp->id, &logged, &llen, &e) != 0)
			die("%s: its log entry cannot be read: %s", sp->id, e.msg);
		if (llen != flen || memcmp(logged, file, flen) != 0)
			die("%s: the log holds other bytes than the spooled file", sp->id);
		free(logged);
	}
}

static void rebuild_check(void)
{
	struct report r;
	struct rerr e = {0};
	size_t moved;
	long long t0 = (long long)time(NULL), took;

	store_free(s);
	s = NULL;
	if (dispatch_rebuild(&h, 0, &r, &moved, &e) < 0) {
		if (!machine_fault(&e))
			die("dispatcher --rebuild failed (exit status %d): %s", e.code, e.msg);
	} else if (r.n > 0) {
		for (size_t i = 0; i < r.n; i++)
			fprintf(stderr, "fuzz_apply: rebuild: %s\n", r.lines[i]);
		die("dispatcher --rebuild found %zu differences between the state and the log", r.n);
	}
	report_free(&r);
	if (dispatch_open(&h, &s, 0, &e) < 0)
		die("dispatch_open again: %s", e.msg);
	last_rebuild = (long long)time(NULL);
	took = last_rebuild - t0;
	rebuilds++;
	fprintf(stderr, "fuzz_apply: rebuild %llu after %llu inputs: nothing to repair (%lld s); "
		"a batch took %.1f ms since the last\n", rebuilds, runs, took,
		batches ? batch_ms / (double)batches : 0.0);
	batch_ms = 0;
	batches = 0;
	/* Its cost grows with the log: keep it under a tenth of the time. */
	if (10 * took > rebuild_seconds)
		rebuild_seconds = 10 * took;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dispatch_stats st;
	struct spec sp;
	char name[128], car[48], normal[ID_LEN], *file;
	size_t flen;

	if (size > 2 * EVENT_MAX)
		return -1;
	today_utc(today);
	if (++runs % POOL_EVERY == 0)
		make_pool();
	read_input(&sp, data, size);
	file = seal_input(&sp, &flen);
	drop(sp.id, file, flen, name);
	snprintf(car, sizeof car, "ok%llux%08x", runs, (unsigned)randombytes_random());
	/* Signed by an admin the event does not revoke: what a key signs after its key.rm
	 * in the same batch is quarantined, rightly. */
	submit(kv_get(&sp.f, "name") && !strcmp(kv_get(&sp.f, "name"), "admin") ? K_ROOT : K_ADMIN,
	       "car.add", normal, "car", car, "rate", "1", NULL);
	if (batch(&st) == 0) {
		check(&st, &sp, name, file, flen, car, normal);
		memcpy(last_normal, normal, ID_LEN);
		restore_keys();
	}
	report_free(&st.notes);
	free(file);
	spec_free(&sp);
	if (rebuild_seconds > 0 && (long long)time(NULL) - last_rebuild >= rebuild_seconds)
		rebuild_check();
	return 0;
}
