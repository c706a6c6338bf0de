/* peer HOME DB: the dispatcher's verify-and-apply work on HOME/spool/new, done with
 * SQLite as the store instead of git objects: the design a user might choose instead
 * of ours. Prints the number of events applied (admitted into the log, as
 * `dispatcher --once` counts them).
 *
 * A batch does what dispatch_batch does for reservations, with no shortcut it does not
 * take: at most DISPATCH_BATCH_MAX files of spool/new in name order; each one lstat'ed,
 * read, parsed and checked (event_parse), its file name matched with its id; an id
 * already in the log is skipped; the actor's key looked up for each event and the
 * signature verified (libsodium); the role checked; the event logged with its id. The
 * reservation rule then decides it (the car is known, the dates hold, no held night
 * overlaps) and, accepted or rejected, the same records are written as the contexts
 * write: the booking (whose customer column is the owner index, with an index by
 * customer), one row per held night, the outcome event signed with the dispatcher's key
 * and logged with its id, payment's copy, management's booking and car count, and the
 * customer's page. All of it in one transaction, WAL with synchronous=FULL, so that the
 * COMMIT is as durable as our git commit and fsync; only then are the applied and
 * skipped files unlinked from spool/new, and the folder fsynced.
 *
 * The registry (keys, the catalogue of cars) is not made here: key.add and car.add are
 * applied by our dispatcher. The peer copies a key or car from HOME's state into its
 * own tables the first time it meets the name (through records.h, as the contexts read
 * them), and reads it from SQLite for every event after. "Today" for the rule is the
 * day the batch runs, as the dispatcher's admission day. Any event type other than
 * reserve is an error. */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "context.h"
#include "dispatch.h"
#include "event.h"
#include "home.h"
#include "ledger.h"
#include "reservation.h"
#include "spool.h"

/* Tables keyed by text are WITHOUT ROWID: one b-tree per table, not a table and an
 * index, which is what a user tuning SQLite for this load would pick. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS keys(name TEXT PRIMARY KEY, role TEXT NOT NULL,"
	" pubkey TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS cars(car TEXT PRIMARY KEY, rate INTEGER NOT NULL,"
	" reserved INTEGER NOT NULL DEFAULT 0, rented INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, raw TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ids(id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS reservations(id TEXT PRIMARY KEY, car TEXT NOT NULL,"
	" customer TEXT NOT NULL, \"from\" TEXT NOT NULL, \"to\" TEXT NOT NULL,"
	" nights INTEGER NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS reservations_customer ON reservations(customer);"
	"CREATE TABLE IF NOT EXISTS held(car TEXT NOT NULL, night TEXT NOT NULL,"
	" reservation TEXT NOT NULL, PRIMARY KEY(car, night)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS payments(reservation TEXT PRIMARY KEY, car TEXT NOT NULL,"
	" customer TEXT NOT NULL, \"from\" TEXT NOT NULL, \"to\" TEXT NOT NULL,"
	" amount INTEGER NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS bookings(car TEXT NOT NULL, reservation TEXT NOT NULL,"
	" \"from\" TEXT NOT NULL, \"to\" TEXT NOT NULL, status TEXT NOT NULL,"
	" PRIMARY KEY(car, reservation)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS mypage(customer TEXT NOT NULL, reservation TEXT NOT NULL,"
	" car TEXT NOT NULL, \"from\" TEXT NOT NULL, \"to\" TEXT NOT NULL, nights INTEGER NOT NULL,"
	" amount INTEGER NOT NULL, status TEXT NOT NULL, payment TEXT NOT NULL, stars TEXT NOT NULL,"
	" PRIMARY KEY(customer, reservation)) WITHOUT ROWID;";

/* Every statement of a batch, prepared once and reused for each event. */
enum stmt {
	S_KEY_GET, S_KEY_PUT, S_CAR_GET, S_CAR_PUT, S_HEAD, S_SEEN, S_LOG_PUT, S_ID_PUT,
	S_OVERLAP, S_RES_GET, S_RES_PUT, S_HOLD, S_PAY_PUT, S_BOOK_PUT, S_CAR_COUNT, S_MYPAGE_PUT,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_KEY_GET] = "SELECT role, pubkey FROM keys WHERE name = ?1",
	[S_KEY_PUT] = "INSERT INTO keys VALUES (?1, ?2, ?3)",
	[S_CAR_GET] = "SELECT rate FROM cars WHERE car = ?1",
	[S_CAR_PUT] = "INSERT INTO cars(car, rate) VALUES (?1, ?2)",
	[S_HEAD] = "SELECT coalesce(max(seq), 0) FROM log",
	[S_SEEN] = "SELECT 1 FROM ids WHERE id = ?1",
	[S_LOG_PUT] = "INSERT INTO log VALUES (?1, ?2)",
	[S_ID_PUT] = "INSERT INTO ids VALUES (?1, ?2)",
	[S_OVERLAP] = "SELECT night, reservation FROM held WHERE car = ?1 AND night >= ?2"
		      " AND night < ?3 ORDER BY night LIMIT 1",
	[S_RES_GET] = "SELECT \"from\", \"to\" FROM reservations WHERE id = ?1",
	[S_RES_PUT] = "INSERT INTO reservations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_HOLD] = "INSERT INTO held VALUES (?1, ?2, ?3)",
	[S_PAY_PUT] = "INSERT INTO payments VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_BOOK_PUT] = "INSERT INTO bookings VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_CAR_COUNT] = "UPDATE cars SET reserved = reserved + 1 WHERE car = ?1",
	[S_MYPAGE_PUT] = "INSERT INTO mypage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', '')",
};

struct peer {
	struct home h;
	struct store *state; /* the home's applied state, read for the registry only */
	struct seckey dk;    /* the dispatcher's key: outcomes are signed as ours are */
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	long long seq;       /* the log's last sequence number */
};

struct stats {
	size_t applied, skipped, quarantined;
};

/* A booking as the reservation context decides it. */
struct booking {
	struct kv r; /* reservation, car, customer, from, to, nights, amount */
	const char *status;
	char reason[512]; /* why it was rejected, as the outcome says */
};

static int db_err(struct peer *p, struct rerr *e, const char *what)
{
	return rerr_set(e, RX_IO, "sqlite: %.200s: %.250s", what, sqlite3_errmsg(p->db));
}

static int exec(struct peer *p, const char *q, struct rerr *e)
{
	return sqlite3_exec(p->db, q, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_err(p, e, q);
}

/* Binds the arguments ('t' text, 'i' long long, in order) and steps once: 1 a row
 * (its columns stay readable until the next call on w), 0 done, -1 error. Text is bound
 * without a copy: every parameter is bound again before each step. */
static int step(struct peer *p, enum stmt w, struct rerr *e, const char *types, ...)
{
	sqlite3_stmt *st = p->st[w];
	va_list ap;
	int rc = SQLITE_OK;

	sqlite3_reset(st);
	va_start(ap, types);
	for (int i = 0; types[i] && rc == SQLITE_OK; i++)
		rc = types[i] == 't' ? sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC)
			: sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_err(p, e, sql[w]);
}

/* ---- opening ---- */

/* WAL, and a commit fsyncs the log before it returns: durable as our git commit is. */
static int db_open(struct peer *p, const char *path, struct rerr *e)
{
	sqlite3_stmt *st;
	int wal;

	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		return db_err(p, e, path);
	/* Another peer on the same database waits as the dispatcher waits for its lock. */
	sqlite3_busy_timeout(p->db, 10000);
	if (sqlite3_prepare_v2(p->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
		return db_err(p, e, "PRAGMA journal_mode");
	wal = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	      strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal)
		return rerr_set(e, RX_IO, "%s: cannot switch to WAL mode", path);
	/* 64 MiB of page cache: a batch's dirty pages stay in memory until its commit
	 * instead of spilling into the WAL and being read back (the default is 2 MiB). */
	if (exec(p, "PRAGMA synchronous=FULL", e) < 0 || exec(p, "PRAGMA cache_size=-65536", e) < 0 ||
	    exec(p, schema, e) < 0)
		return -1;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(p->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &p->st[i], NULL) != SQLITE_OK)
			return db_err(p, e, sql[i]);
	return 0;
}

static int peer_open(struct peer *p, const char *home, const char *db, struct rerr *e)
{
	char *path;
	int rc;

	if (sig_init(e) < 0)
		return -1;
	home_resolve(&p->h, home);
	if (home_open_state(&p->h, &p->state, e) < 0)
		return -1;
	path = xasprintf("%s/dispatcher.key", p->h.keys);
	rc = seckey_load(&p->dk, path, e);
	free(path);
	return rc < 0 ? -1 : db_open(p, db, e);
}

static void peer_close(struct peer *p)
{
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(p->st[i]);
	sqlite3_close(p->db);
	seckey_free(&p->dk);
	store_free(p->state);
	home_free(&p->h);
}

/* ---- the registry, copied from the home's state on first sight ---- */

/* Copies key NAME from HOME/state/keys into the table. 0 copied, 1 unknown, -1 error. */
static int import_key(struct peer *p, const char *name, struct rerr *e)
{
	struct kv k;
	int rc = ledger_key(p->state, name, &k, e);

	if (rc != 0)
		return rc;
	rc = step(p, S_KEY_PUT, e, "ttt", name, kv_get(&k, "role") ? kv_get(&k, "role") : "",
		  kv_get(&k, "pubkey") ? kv_get(&k, "pubkey") : "");
	kv_free(&k);
	return rc;
}

/* Runs the one-key lookup st for key; on a miss, copies key in from the state files
 * with import and looks again. 0: st's row is there to read, 1 unknown, -1 error. */
static int lookup_or_import(struct peer *p, int st, const char *key,
			    int (*import)(struct peer *, const char *, struct rerr *), const char *what,
			    struct rerr *e)
{
	int rc = step(p, st, e, "t", key);

	if (rc == 0) {
		if ((rc = import(p, key, e)) != 0)
			return rc;
		rc = step(p, st, e, "t", key);
	}
	if (rc <= 0)
		return rc < 0 ? -1 : rerr_set(e, RX_IO, "%s '%s': lost on the way in", what, key);
	return 0;
}

/* The role and public key of actor, read from SQLite for every event as our dispatcher
 * reads them from its state. 0 found, 1 unknown, -1 error (RX_IO if corrupt). */
static int actor_key(struct peer *p, const char *actor, int *role,
		     unsigned char pk[crypto_sign_PUBLICKEYBYTES], struct rerr *e)
{
	int rc = lookup_or_import(p, S_KEY_GET, actor, import_key, "key", e);

	if (rc != 0)
		return rc;
	*role = role_parse((const char *)sqlite3_column_text(p->st[S_KEY_GET], 0));
	if (sig_pk_decode(pk, (const char *)sqlite3_column_text(p->st[S_KEY_GET], 1)) < 0)
		return rerr_set(e, RX_IO, "state: key '%s' is corrupt", actor);
	return 0;
}

/* Copies car from the reservation context's catalogue. 0 copied, 1 unknown, -1 error. */
static int import_car(struct peer *p, const char *car, struct rerr *e)
{
	struct kv c;
	int rc;

	if ((rc = rec_car(p->state, CTX_RESERVATION, car, &c, e)) != 0)
		return rc;
	rc = step(p, S_CAR_PUT, e, "ti", car, kv_num(&c, "rate", 0));
	kv_free(&c);
	return rc;
}

/* The rate of car. 0 found, 1 unknown car, -1 error. */
static int car_rate(struct peer *p, const char *car, long long *rate, struct rerr *e)
{
	int rc = lookup_or_import(p, S_CAR_GET, car, import_car, "car", e);

	if (rc != 0)
		return rc;
	*rate = sqlite3_column_int64(p->st[S_CAR_GET], 0);
	return 0;
}

/* A rule said no: why holds the reason; returns 1, "refused", to the caller. */
static int refuse(struct rerr *why, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct rerr *why, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof why->msg, fmt, ap);
	va_end(ap);
	why->code = code;
	return 1;
}

/* ---- the log ---- */

/* 1 if id is in the log, 0 if not, -1 on error. */
static int seen(struct peer *p, const char *id, struct rerr *e)
{
	return step(p, S_SEEN, e, "t", id);
}

static int log_append(struct peer *p, const struct event *ev, struct rerr *e)
{
	long long seq = p->seq + 1;

	if (step(p, S_LOG_PUT, e, "it", seq, ev->raw) < 0 ||
	    step(p, S_ID_PUT, e, "ti", kv_get(&ev->f, "id"), seq) < 0)
		return -1;
	p->seq = seq;
	return 0;
}

/* What ledger_admit checks of a spooled event: a registered key, a good signature, a
 * role that may write the type. 0 admitted, 1 refused (why), -1 error (e). */
static int admit(struct peer *p, const struct event *ev, struct rerr *why, struct rerr *e)
{
	const char *actor = kv_get(&ev->f, "actor");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int role = 0, rc = actor_key(p, actor, &role, pk, e);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return refuse(why, RX_PERM, "unknown key '%s'", actor);
	return ledger_check_signer(ev, pk, role, why) < 0 ? 1 : 0;
}

/* ---- the reservation rule ---- */

static void day_text(char out[11], long day)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The first held night of [from, to) on car, named as reservation_check_new names it.
 * 0 none, 1 overlap (why), -1 error. */
static int overlap(struct peer *p, const char *car, const char *from, const char *to,
		   struct rerr *why, struct rerr *e)
{
	char night[11], other[ID_LEN];
	int rc = step(p, S_OVERLAP, e, "ttt", car, from, to);

	if (rc <= 0)
		return rc;
	snprintf(night, sizeof night, "%s", (const char *)sqlite3_column_text(p->st[S_OVERLAP], 0));
	snprintf(other, sizeof other, "%s", (const char *)sqlite3_column_text(p->st[S_OVERLAP], 1));
	if ((rc = step(p, S_RES_GET, e, "t", other)) < 0)
		return -1;
	if (rc == 0)
		return refuse(why, RX_REFUSED, "%s: already reserved on %s", car, night);
	return refuse(why, RX_REFUSED, "%s: already reserved from %s to %s", car,
		      (const char *)sqlite3_column_text(p->st[S_RES_GET], 0),
		      (const char *)sqlite3_column_text(p->st[S_RES_GET], 1));
}

/* reservation_check_new against the tables. 0 accepted, 1 refused (why), -1 error. */
static int check_new(struct peer *p, const char *car, const char *from, const char *to,
		     const char *today, long long *nights, long long *amount, struct rerr *why,
		     struct rerr *e)
{
	long long rate = 0;
	int rc;

	if (reservation_check_request(car, from, to, today, why) < 0)
		return 1;
	if ((rc = car_rate(p, car, &rate, e)) != 0)
		return rc < 0 ? -1 : refuse(why, RX_REFUSED, "%s: unknown car", car);
	*nights = date_days(to) - date_days(from);
	*amount = rate * *nights;
	return overlap(p, car, from, to, why, e);
}

/* ---- what a decided booking writes ---- */

static int hold_nights(struct peer *p, const struct kv *r, struct rerr *e)
{
	const char *car = kv_get(r, "car"), *res = kv_get(r, "reservation");
	long to = date_days(kv_get(r, "to"));

	for (long day = date_days(kv_get(r, "from")); day < to; day++) {
		char night[11];
		day_text(night, day);
		if (step(p, S_HOLD, e, "ttt", car, night, res) < 0)
			return -1;
	}
	return 0;
}

/* Signs the outcome reservation.accepted or .rejected and logs it unless logged. */
static int log_outcome(struct peer *p, const struct event *src, const struct booking *b,
		       struct rerr *e)
{
	int accepted = strcmp(b->status, ST_RESERVED) == 0;
	struct outbox out;
	struct event oc;
	struct kv *o;
	int rc;

	outbox_init(&out);
	o = outbox_add(&out, accepted ? EV_RES_ACCEPTED : EV_RES_REJECTED, src);
	kv_copy(o, &b->r);
	if (!accepted)
		kv_set(o, "reason", b->reason);
	event_make_outcome(&oc, o, src, &p->dk, 0);
	rc = seen(p, kv_get(&oc.f, "id"), e);
	if (rc == 0)
		rc = log_append(p, &oc, e);
	event_free(&oc);
	outbox_free(&out);
	return rc < 0 ? -1 : 0;
}

/* The rows the contexts write for a decided booking: reservation's booking and held
 * nights, payment's copy, management's booking and count, the customer's page. */
static int save_booking(struct peer *p, const struct booking *b, struct rerr *e)
{
	const struct kv *r = &b->r;
	const char *res = kv_get(r, "reservation"), *car = kv_get(r, "car");
	const char *cust = kv_get(r, "customer"), *from = kv_get(r, "from"), *to = kv_get(r, "to");
	long long nights = kv_num(r, "nights", 0), amount = kv_num(r, "amount", 0);
	int accepted = strcmp(b->status, ST_RESERVED) == 0;

	if (step(p, S_RES_PUT, e, "tttttiit", res, car, cust, from, to, nights, amount, b->status) < 0 ||
	    (accepted && hold_nights(p, r, e) < 0) ||
	    step(p, S_PAY_PUT, e, "tttttit", res, car, cust, from, to, amount, b->status) < 0 ||
	    step(p, S_BOOK_PUT, e, "ttttt", car, res, from, to, b->status) < 0 ||
	    (accepted && step(p, S_CAR_COUNT, e, "t", car) < 0) ||
	    step(p, S_MYPAGE_PUT, e, "tttttiit", cust, res, car, from, to, nights, amount, b->status) < 0)
		return -1;
	return 0;
}

/* Decides a logged reserve event and writes what the decision makes. */
static int apply_reserve(struct peer *p, const struct event *ev, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *from = kv_get(&ev->f, "from"), *to = kv_get(&ev->f, "to");
	struct rerr why = {0};
	struct booking b = {.status = ST_RESERVED};
	long long nights = 0, amount = 0;
	char today[11];
	int rc;

	today_utc(today);
	rc = check_new(p, car, from, to, today, &nights, &amount, &why, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		b.status = ST_REJECTED;
		snprintf(b.reason, sizeof b.reason, "%s", why.msg);
	}
	kv_init(&b.r);
	kv_set(&b.r, "reservation", kv_get(&ev->f, "id"));
	kv_set(&b.r, "car", car);
	kv_set(&b.r, "customer", kv_get(&ev->f, "actor"));
	kv_set(&b.r, "from", from);
	kv_set(&b.r, "to", to);
	kv_setnum(&b.r, "nights", nights);
	kv_setnum(&b.r, "amount", amount);
	rc = save_booking(p, &b, e) < 0 || log_outcome(p, ev, &b, e) < 0 ? -1 : 0;
	kv_free(&b.r);
	return rc;
}

/* ---- one spool file ---- */

/* Reads and parses spool/new/NAME as admit_file does. 0 parsed, 1 bad (reason), -1 error. */
static int load_file(struct peer *p, const char *name, struct event *ev, char *reason,
		     size_t rsize, struct rerr *e)
{
	char *path = xasprintf("%s/new/%s", p->h.spool, name), *buf = NULL;
	struct rerr why = {0};
	struct stat st;
	size_t len;
	int rc = 1;

	if (lstat(path, &st) < 0)
		rc = rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(reason, rsize, "%s: not a regular file", name);
	else if (st.st_size > EVENT_MAX)
		snprintf(reason, rsize, "%s: larger than %d bytes", name, EVENT_MAX);
	else if (fs_read(path, EVENT_MAX, &buf, &len, &why) != 0 ||
		 event_parse(ev, buf, len, name, &why) < 0)
		snprintf(reason, rsize, "%s", why.msg);
	else if (spool_name_id(name) == NULL || strcmp(spool_name_id(name), kv_get(&ev->f, "id")) != 0) {
		snprintf(reason, rsize, "%s: file name does not carry the event's id %s", name,
			 kv_get(&ev->f, "id"));
		event_free(ev);
	} else
		rc = 0;
	free(buf);
	free(path);
	return rc;
}

enum outcome { TAKEN_APPLIED, TAKEN_SKIPPED, TAKEN_BAD };

/* Admits, logs and applies one parsed event. Returns an enum outcome, or -1. */
static int take_event(struct peer *p, const char *name, const struct event *ev, char *reason,
		      size_t rsize, struct rerr *e)
{
	const char *type = kv_get(&ev->f, "type");
	struct rerr why = {0};
	int rc = seen(p, kv_get(&ev->f, "id"), e);

	if (rc != 0)
		return rc < 0 ? -1 : TAKEN_SKIPPED;
	if ((rc = admit(p, ev, &why, e)) != 0) {
		snprintf(reason, rsize, "%.80s: %.400s", name, why.msg);
		return rc < 0 ? -1 : TAKEN_BAD;
	}
	if (strcmp(type, "reserve") != 0)
		return rerr_set(e, RX_SOFTWARE, "%s: %.40s events are not handled by the peer, only reserve",
				kv_get(&ev->f, "id"), type);
	if (log_append(p, ev, e) < 0 || apply_reserve(p, ev, e) < 0)
		return -1;
	return TAKEN_APPLIED;
}

/* One spool file: taken into the batch (1: its file leaves the spool after the commit),
 * quarantined (0), or an error (-1). */
static int take_file(struct peer *p, const char *name, struct stats *st, struct rerr *e)
{
	char reason[600];
	struct event ev;
	int rc = load_file(p, name, &ev, reason, sizeof reason, e);

	if (rc == 0) {
		rc = take_event(p, name, &ev, reason, sizeof reason, e);
		event_free(&ev);
		if (rc < 0)
			return -1;
		if (rc != TAKEN_BAD) {
			st->applied += rc == TAKEN_APPLIED;
			st->skipped += rc == TAKEN_SKIPPED;
			return 1;
		}
	} else if (rc < 0) {
		return -1;
	}
	st->quarantined++;
	return spool_quarantine(p->h.spool, name, reason, e) < 0 ? -1 : 0;
}

/* ---- the batch ---- */

/* Reads and writes of the batch under one write transaction: BEGIN IMMEDIATE takes
 * the database's write lock at once, as the dispatcher takes its lock first. */
static int run_batch(struct peer *p, const struct spool_list *l, char **done, size_t *ndone,
		     struct stats *st, struct rerr *e)
{
	int rc;

	if (exec(p, "BEGIN IMMEDIATE", e) < 0)
		return -1;
	if (step(p, S_HEAD, e, "") != 1) {
		exec(p, "ROLLBACK", NULL);
		return rerr_set(e, RX_IO, "sqlite: cannot read the log's head: %s", sqlite3_errmsg(p->db));
	}
	p->seq = sqlite3_column_int64(p->st[S_HEAD], 0);
	for (size_t i = 0; i < l->n; i++) {
		if ((rc = take_file(p, l->names[i], st, e)) < 0) {
			exec(p, "ROLLBACK", NULL);
			return -1;
		}
		if (rc == 1)
			done[(*ndone)++] = l->names[i];
	}
	/* A statement left on a row would hold its read open over the commit. */
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_reset(p->st[i]);
	if (exec(p, "COMMIT", e) < 0) {
		exec(p, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

/* Only with the commit durable may the files leave the spool; then the folder is
 * fsynced so that their removal is durable too. */
static int remove_done(struct peer *p, char **done, size_t ndone, struct rerr *e)
{
	char *dir = xasprintf("%s/new", p->h.spool);
	int rc = 0;

	for (size_t i = 0; i < ndone && rc == 0; i++)
		rc = spool_remove(p->h.spool, done[i], e);
	if (rc == 0 && ndone > 0)
		rc = fs_fsync_dir(dir, e);
	free(dir);
	return rc;
}

static int peer_batch(struct peer *p, struct stats *st, struct rerr *e)
{
	struct spool_list l = {0};
	char **done;
	size_t ndone = 0;
	int rc;

	spool_clean_tmp(p->h.spool, SPOOL_TMP_MAX_AGE, NULL);
	if (spool_list_new(&l, p->h.spool, DISPATCH_BATCH_MAX, e) < 0)
		return -1;
	done = xcalloc(l.n + 1, sizeof *done);
	rc = run_batch(p, &l, done, &ndone, st, e);
	if (rc == 0)
		rc = remove_done(p, done, ndone, e);
	free(done);
	spool_list_free(&l);
	return rc;
}

int main(int argc, char **argv)
{
	struct peer p = {0};
	struct stats st = {0};
	struct rerr e = {0};
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: peer HOME DB\n");
		return RX_USAGE;
	}
	rc = peer_open(&p, argv[1], argv[2], &e);
	if (rc == 0)
		rc = peer_batch(&p, &st, &e);
	peer_close(&p);
	if (rc < 0) {
		fprintf(stderr, "peer: %s\n", e.msg[0] ? e.msg : "failed");
		return e.code ? e.code : RX_SOFTWARE;
	}
	if (st.quarantined)
		fprintf(stderr, "peer: %zu events quarantined in %s/spool/bad\n", st.quarantined, argv[1]);
	printf("%zu\n", st.applied);
	return 0;
}
