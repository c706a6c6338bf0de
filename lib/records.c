/* records: the paths of layout 10 (and of 9, whose tables split whole, 8, whose log
 * names no rules either, and 7, whose tables never split).
 *
 *   layout                              version: 10 (or 9, 8, 7)
 *   log/000000/00/00/000000000001.yaml  an admitted event, verbatim (a leaf of 100)
 *   log/000000/00/00/admitted           "SEQ YYYY-MM-DD RULES" a line: the day each was
 *                                       admitted, and the rules it is decided by (limit.h;
 *                                       layouts 9, 10: before, "SEQ YYYY-MM-DD", rules 0)
 *   log/head                            seq: N
 *   ids/ab/cd/ID                        the event again (the same blob as its log entry)
 *   keys/xx/NAME.yaml                   a registered key
 *   revoked/keys/ab/KEY.yaml            a revoked key (KEY its 32 bytes in hex), the name it had
 *   revoked/names/xx/NAME/KEY.yaml      the same, by the name (a name's earlier keys)
 *   CTX/cursor                          seq: N, where the context has read the log to
 *   CTX/res/ab/cd/RES.yaml              a context's record of a booking
 *   CTX/cars/xx                         a table: a context's records of the cars
 *   CTX/customers/xx/NAME/h/g           a table: a customer's rows (h: the booking id's
 *   CTX/bookings/xx/CAR/h/g             last hex digit, g the one before), or a car's
 *   CTX/.../NAME/h/g/split              depth: 3, once leaf h/g grew past 16 KiB (layout
 *                                       10): its rows are then in h/g/f, and so on down
 *   CTX/.../NAME/depth                  depth: 3 (layouts 8 and 9): all leaves are h/g/f
 *   reservation/held/YYYY-MM/xx/CAR     "DD HOLDER" a line: the car's held nights
 *   reservation/agenda/xx/CAR/h/g       a table: what holds the car's nights now
 *   reservation/blocks/ab/cd/BLK.yaml   a block of a car's nights
 *   management/reviews/xx/CAR           a table: the car's latest reviews, newest first
 *   management/fleet/xx                 a table: the cars' registrations
 *   management/report/YYYY-MM/xx        a table: what the report sums of the cars' month
 *
 * ab/cd are an id's first hex digits (time-ordered: a batch writes few folders), xx a
 * hash of a name. A car's records are rows of its shard's table (a row a car, by its
 * "car" field): a listing of the fleet reads 256 tables, not a record a car. A table holds a row a line, "key=value" pairs joined by tabs; a
 * backslash, tab or newline in a value is written \\, \t or \n. */
#include "records.h"
#include "config.h"
#include "limit.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths ---- */

static void id_shard(char out[6], const char *id)
{
	shard_id(out, id);
}

/* "CTX/WHAT/xx/NAME": a context's folder (or file stem) for one car or customer. */
static void name_path(char *out, size_t size, int ctx, const char *what, const char *name,
		      const char *suffix)
{
	char sh[3];

	shard_name(sh, name);
	snprintf(out, size, "%s/%s/%s/%s%s", context_name(ctx), what, sh, name, suffix);
}

static void log_path(char *out, size_t size, long long seq, const char *leaf_file)
{
	char d[24];

	snprintf(d, sizeof d, "%012lld", seq);
	if (leaf_file)
		snprintf(out, size, "log/%.6s/%.2s/%.2s/%s", d, d + 6, d + 8, leaf_file);
	else
		snprintf(out, size, "log/%.6s/%.2s/%.2s/%s.yaml", d, d + 6, d + 8, d);
}

/* ---- small records ---- */

static long long get_seq(struct store *s, const char *path, struct rerr *e)
{
	struct kv m;
	long long seq;
	int rc = store_get_kv(s, path, &m, e);

	if (rc < 0)
		return -1;
	seq = rc == 1 ? 0 : kv_num(&m, "seq", -1);
	kv_free(&m);
	return seq < 0 ? rerr_set(e, RX_IO, "state/%s: corrupt", path) : seq;
}

static void put_seq(struct store *s, const char *path, long long seq)
{
	char buf[40];
	int n = snprintf(buf, sizeof buf, "seq: %lld\n", seq);

	store_put(s, path, buf, (size_t)n);
}

long long rec_log_head(struct store *s, struct rerr *e)
{
	return get_seq(s, "log/head", e);
}

void rec_set_log_head(struct store *s, long long seq)
{
	put_seq(s, "log/head", seq);
}

long long rec_cursor(struct store *s, int ctx, struct rerr *e)
{
	char p[64];

	snprintf(p, sizeof p, "%s/cursor", context_name(ctx));
	return get_seq(s, p, e);
}

void rec_set_cursor(struct store *s, int ctx, long long seq)
{
	char p[64];

	snprintf(p, sizeof p, "%s/cursor", context_name(ctx));
	put_seq(s, p, seq);
}

int rec_layout(struct store *s, struct rerr *e)
{
	struct kv m;
	const char *ver;
	long long v;
	int rc;

	if ((rc = store_get_kv(s, "layout", &m, e)) < 0)
		return -1;
	if (rc == 1)
		return store_has_commit(s) ? 1 : RECORDS_LAYOUT;
	ver = kv_get(&m, "version");
	if ((v = kv_num(&m, "version", 0)) < 1 || v > INT_MAX) /* 0: none, or no number */
		rc = rerr_set(e, RX_IO, "state/layout: damaged: %s%.40s%s is not a layout version",
			      ver ? "'" : "", ver ? ver : "no version", ver ? "'" : "");
	kv_free(&m);
	return rc < 0 ? -1 : (int)v;
}

int rec_rules(struct store *s, struct rerr *e)
{
	int v = rec_layout(s, e);

	return v < 0 ? -1 : v >= 9 ? RULES_VERSION : 0;
}

int rec_layout_own(int v)
{
	return v >= RECORDS_LAYOUT_READ && v <= RECORDS_LAYOUT;
}

void rec_set_layout(struct store *s, int v)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "version: %d\n", v);

	store_put(s, "layout", buf, (size_t)n);
}

const char *const rec_checked_out[] = {
	"ids", "keys", "layout", "log", "owners", /* owners: layout 1's */
	"management", "reservation", "payment", "rental", "rating", "mypage", NULL};

int rec_check_layout(struct store *s, struct rerr *e)
{
	int v = rec_layout(s, e);

	if (v < 0 && e->code == RX_IO) /* damaged: the log makes it again, whatever it was */
		return rerr_add(e, "; 'dispatcher --upgrade' makes it again from the log");
	if (v < 0 || rec_layout_own(v))
		return v < 0 ? -1 : 0;
	if (v >= 1 && v < RECORDS_LAYOUT_READ)
		return rerr_set(e, RX_CONFIG, "state/layout: version %d, made by an older release; "
				"run 'dispatcher --upgrade' to move it to version %d", v, RECORDS_LAYOUT);
	return rerr_set(e, RX_CONFIG, "state/layout: version %d, which this release does not know "
			"(it knows 1 to %d)", v, RECORDS_LAYOUT);
}

/* ---- the log ---- */

/* The rules named after the day in an admitted line (rest: what follows the day, up
 * to the line's end): 0 if none; RX_IO if they are no whole number, RX_CONFIG past
 * what this release knows. */
static int line_rules(const char *rest, long long seq, int *rules, struct rerr *e)
{
	const char *end = rest + strcspn(rest, "\n");
	long long v = 0;

	*rules = 0;
	if (rest == end)
		return 0;
	if (*rest++ != ' ' || rest == end || end - rest > 9 || *rest == '0' ||
	    strspn(rest, "0123456789") != (size_t)(end - rest))
		return rerr_set(e, RX_IO, "log entry %lld: damaged: its admitted line names no rules", seq);
	v = strtoll(rest, NULL, 10); /* nine digits at most */
	if (v > RULES_VERSION)
		return rerr_set(e, RX_CONFIG, "log entry %lld: decided by rules %lld, which this release "
				"does not know (it knows up to %d): run a newer release", seq, v, RULES_VERSION);
	*rules = (int)v;
	return 0;
}

/* The day seq was admitted and its rules, from its leaf's admitted record ("" and 0 if
 * not there; 0 for a line without rules, as layouts before 9 wrote). */
static int admitted_day(struct store *s, long long seq, char out[11], int *rules, struct rerr *e)
{
	char p[64], want[16], *buf, *line;
	int n = snprintf(want, sizeof want, "%012lld ", seq), rc = 0;

	out[0] = '\0';
	*rules = 0;
	log_path(p, sizeof p, seq, "admitted");
	if ((rc = store_get(s, p, &buf, NULL, e)) != 0)
		return rc < 0 ? -1 : 0;
	for (line = buf; rc == 0 && line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, want, (size_t)n) == 0) {
			size_t len = strcspn(line + n, "\n");
			snprintf(out, 11, "%.*s", (int)(len < 10 ? len : 10), line + n);
			if (len >= 10) /* else no day to read rules after: its rules are 0 */
				rc = line_rules(line + n + 10, seq, rules, e);
		}
	free(buf);
	return rc;
}

int rec_log(struct store *s, long long seq, char **buf, size_t *len, char admitted[11], int *rules,
	    struct rerr *e)
{
	char p[64];
	int rc;

	log_path(p, sizeof p, seq, NULL);
	rc = store_get(s, p, buf, len, e);
	if (rc == 1)
		return rerr_set(e, RX_IO, "state/%s: missing from the log", p);
	if (rc == 0 && admitted_day(s, seq, admitted, rules, e) < 0) {
		free(*buf);
		return -1;
	}
	return rc;
}

void rec_log_put(struct store *s, long long seq, const char *buf, size_t len, const char *admitted,
		 int rules)
{
	char p[64], *old = NULL, *next;
	size_t olen = 0;

	log_path(p, sizeof p, seq, NULL);
	store_put(s, p, buf, len);
	log_path(p, sizeof p, seq, "admitted");
	if (store_get(s, p, &old, &olen, NULL) != 0)
		old = NULL, olen = 0;
	char named[16] = ""; /* rules 0: named by no number, as layouts before 9 */
	if (rules > 0)
		snprintf(named, sizeof named, " %d", rules);
	next = xasprintf("%s%012lld %s%s\n", old ? old : "", seq, admitted, named);
	store_put(s, p, next, strlen(next));
	free(next);
	free(old);
}

int rec_id(struct store *s, const char *id, char **buf, size_t *len, struct rerr *e)
{
	char p[128], sh[6];

	id_shard(sh, id);
	snprintf(p, sizeof p, "ids/%s/%s", sh, id);
	return store_get(s, p, buf, len, e);
}

void rec_id_put(struct store *s, const char *id, const char *buf, size_t len)
{
	char p[128], sh[6];

	id_shard(sh, id);
	snprintf(p, sizeof p, "ids/%s/%s", sh, id);
	store_put(s, p, buf, len);
}

static void key_path(char *out, size_t size, const char *name)
{
	char sh[3];

	shard_name(sh, name);
	snprintf(out, size, "keys/%s/%s.yaml", sh, name);
}

int rec_key(struct store *s, const char *name, struct kv *key, struct rerr *e)
{
	char p[128];

	kv_init(key);
	if (!valid_name(name))
		return 1;
	key_path(p, sizeof p, name);
	return store_get_kv(s, p, key, e);
}

void rec_key_put(struct store *s, const struct kv *key)
{
	char p[128];

	key_path(p, sizeof p, kv_get(key, "name"));
	store_put_kv(s, p, key);
}

int rec_keys(struct store *s, struct kv **recs, size_t *n, struct rerr *e)
{
	return store_read_records(s, "keys", recs, n, e);
}

/* The hex of the base64 public key b64: 0, or -1 if it is none. */
static int key_hex(char hex[65], const char *b64)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];

	if (sig_pk_decode(pk, b64) < 0)
		return -1;
	for (size_t i = 0; i < sizeof pk; i++)
		snprintf(hex + 2 * i, 3, "%02x", pk[i]);
	return 0;
}

int rec_revoked(struct store *s, const char *pubkey, struct kv *r, struct rerr *e)
{
	char p[128], hex[65];

	kv_init(r);
	if (key_hex(hex, pubkey) < 0)
		return 1;
	snprintf(p, sizeof p, "revoked/keys/%.2s/%s.yaml", hex, hex);
	return store_get_kv(s, p, r, e);
}

void rec_revoked_put(struct store *s, const struct kv *r)
{
	char p[200], hex[65], sh[3];
	const char *name = kv_get(r, "name") ?: "";

	if (key_hex(hex, kv_get(r, "pubkey") ?: "") < 0 || !valid_name(name))
		return;
	snprintf(p, sizeof p, "revoked/keys/%.2s/%s.yaml", hex, hex);
	store_put_kv(s, p, r);
	shard_name(sh, name);
	snprintf(p, sizeof p, "revoked/names/%s/%s/%s.yaml", sh, name, hex);
	store_put_kv(s, p, r);
}

int rec_revoked_of(struct store *s, const char *name, struct kv **recs, size_t *n, struct rerr *e)
{
	char p[128], sh[3];

	*recs = NULL;
	*n = 0;
	if (!valid_name(name))
		return 0;
	shard_name(sh, name);
	snprintf(p, sizeof p, "revoked/names/%s/%s", sh, name);
	return store_read_records(s, p, recs, n, e);
}

int rec_is_ledger(const char *path, int log_entries)
{
	return !strncmp(path, "ids/", 4) || !strncmp(path, "keys/", 5) || !strcmp(path, "log/head") ||
	       (log_entries && !strncmp(path, "log/", 4));
}

/* ---- a context's records of bookings and cars ---- */

int rec_booking(struct store *s, int ctx, const char *res, struct kv *r, struct rerr *e)
{
	char p[128], sh[6];

	kv_init(r);
	if (!valid_id(res, "res"))
		return 1;
	id_shard(sh, res);
	snprintf(p, sizeof p, "%s/res/%s/%s.yaml", context_name(ctx), sh, res);
	return store_get_kv(s, p, r, e);
}

void rec_booking_put(struct store *s, int ctx, const struct kv *r)
{
	char p[128], sh[6];

	id_shard(sh, kv_get(r, "reservation"));
	snprintf(p, sizeof p, "%s/res/%s/%s.yaml", context_name(ctx), sh, kv_get(r, "reservation"));
	store_put_kv(s, p, r);
}

int rec_bookings(struct store *s, int ctx, struct kv **recs, size_t *n, struct rerr *e)
{
	char p[64];

	snprintf(p, sizeof p, "%s/res", context_name(ctx));
	return store_read_records(s, p, recs, n, e);
}

/* ---- tables of rows ---- */

/* An owner's table (a car's or a customer's rows) is split by two digits of the
 * booking id while it is small. When a put leaves a leaf longer than LEAF_BYTES, in
 * layout 10 that leaf alone splits into 16 leaves a digit deeper (and each of them
 * still too long in turn), and a "split" record in the folder it became says so: a
 * reader goes down the id's digits while the folder it is at says split. So a customer
 * of 100,000 bookings rewrites a leaf of a few dozen rows an event, not of 400, and
 * one whose client chooses ids alike (their last digits the same) as well: her rows
 * go as deep as their ids differ. In layouts 8 and 9 the whole table moved a digit
 * deeper, to 3 at most, its "depth" record saying how many; a home of those runs so
 * until its upgrade. */
#define LEAF_BYTES (16 << 10)
#define DEPTH_MIN 2 /* 256 leaves: a table's, until one grows past LEAF_BYTES */
/* Layouts 8 and 9: 4,096 leaves, past which leaves grow (a split there rewrote the
 * whole table in one event, at 3 some 3.5 MiB, at 4 it would be 57). */
#define DEPTH_MAX 3
#define DEPTH_RECORD "depth" /* in the owner's folder, beside the leaves' digits */
#define ID_DIGITS 16         /* an id's hex digits (valid_id): layout 10's deepest leaf */
#define SPLIT_RECORD "split" /* layout 10: in a leaf's place that was split */
#define LEAF_PATH 256        /* a leaf's path, or a split record's */

/* A value of a table read back: \\, \t and \n stand for a backslash, tab, newline. */
static char *unescape(const char *f, size_t n)
{
	char *v = xcalloc(1, n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (f[i] == '\\' && i + 1 < n) {
			char c = f[++i];
			v[j++] = c == 't' ? '\t' : c == 'n' ? '\n' : c;
		} else {
			v[j++] = f[i];
		}
	}
	return v;
}

/* Parses one line of a table into row: 0, or -1 if it is no row (a field without '=',
 * or none): damaged, not a row of nothing. */
static int row_parse(struct kv *row, const char *line, size_t len)
{
	kv_init(row);
	for (size_t at = 0; at < len;) {
		const char *f = line + at, *tab = memchr(f, '\t', len - at), *eq;
		size_t fl = tab ? (size_t)(tab - f) : len - at;
		if ((eq = memchr(f, '=', fl)) == NULL)
			return -1;
		kv_take(row, xstrndup(f, (size_t)(eq - f)), unescape(eq + 1, fl - (size_t)(eq - f) - 1));
		at += fl + 1;
	}
	return row->n > 0 ? 0 : -1;
}

/* Appends row as a line, its values escaped. */
static void row_format(char **buf, size_t *len, const struct kv *row)
{
	for (size_t i = 0; i < row->n; i++) {
		size_t kl = strlen(row->k[i]), vl = strlen(row->v[i]);
		*buf = xrealloc(*buf, *len + kl + 2 * vl + 4);
		if (i)
			(*buf)[(*len)++] = '\t';
		memcpy(*buf + *len, row->k[i], kl);
		*len += kl;
		(*buf)[(*len)++] = '=';
		for (const char *c = row->v[i]; *c; c++) {
			if (*c == '\\' || *c == '\t' || *c == '\n') {
				(*buf)[(*len)++] = '\\';
				(*buf)[(*len)++] = *c == '\t' ? 't' : *c == '\n' ? 'n' : '\\';
			} else {
				(*buf)[(*len)++] = *c;
			}
		}
	}
	*buf = xrealloc(*buf, *len + 2);
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = '\0';
}

/* The leaf of an owner's table ("CTX/WHAT/xx/OWNER/h/g") that holds the row of id: by
 * its id's last hex digit, then the one before, and so on for depth digits ('0' for
 * each an id too short lacks, so that a leaf's children are its own and a digit
 * more). A car's or a customer's bookings grow with its history (a thousand a car in
 * three years), and a leaf stays a few rows long where one table would be rewritten
 * whole for each booking. The last digits of the ids our writers make are random, so
 * the leaves fill evenly; a writer that chooses its ids alike fills one leaf, which
 * splits as deep as they differ (in layouts 8 and 9, past DEPTH_MAX it grew, each
 * event of its owner rewriting it). */
static void leaf_of(char out[2 * ID_DIGITS + 1], const char *id, int depth)
{
	const char *hex = strchr(id, '-');
	size_t l, j = 0;

	hex = hex ? hex + 1 : id;
	l = strlen(hex);
	for (int k = 1; k <= depth; k++) {
		out[j++] = '/';
		out[j++] = (size_t)k <= l ? hex[l - (size_t)k] : '0';
	}
	out[j] = '\0';
}

static const char hexdigits[] = "0123456789abcdef";

/* The record of the depth of the owner's table in folder. */
static void depth_path(char out[LEAF_PATH], const char *folder)
{
	snprintf(out, LEAF_PATH, "%s/" DEPTH_RECORD, folder);
}

static void leaf_path(char *out, size_t size, const char *folder, const char *id, int depth)
{
	char leaf[2 * ID_DIGITS + 1];

	leaf_of(leaf, id, depth);
	snprintf(out, size, "%s%s", folder, leaf);
}

/* How many digits name the leaves of the owner's table in folder: 2, or what its
 * "depth" record says once a leaf grew past LEAF_BYTES. -1 if that record is damaged
 * (and the unit fails: rows put by a wrong depth would be lost to reads). */
static int owner_depth(struct store *s, const char *folder, struct rerr *e)
{
	char p[LEAF_PATH];
	struct kv m;
	struct rerr mine = {0}, *why = e ? e : &mine;
	long long d;
	int rc;

	depth_path(p, folder);
	if ((rc = store_get_kv(s, p, &m, why)) != 0) {
		if (rc < 0)
			store_unit_fail(s, why);
		return rc < 0 ? -1 : DEPTH_MIN;
	}
	d = kv_num(&m, "depth", 0);
	kv_free(&m);
	if (d > DEPTH_MIN && d <= DEPTH_MAX)
		return (int)d;
	rerr_set(why, RX_IO, "state/%s: damaged: not a depth a split writes", p);
	store_unit_fail(s, why);
	return -1;
}

static const char *owner_what(enum rec_owner kind)
{
	return kind == OWNER_CAR ? "bookings" : "customers";
}

/* Calls fn for each row of the table at path; stops at fn's non-zero. */
static int table_each(struct store *s, const char *path, int (*fn)(struct kv *row, void *arg),
		      void *arg, struct rerr *e)
{
	char *buf;
	size_t len, lines = 0;
	int rc = store_get(s, path, &buf, &len, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (char *line = buf, *nl; rc == 0 && line < buf + len; line = nl + 1) {
		struct kv row;
		struct rerr bad = {0};
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		if (nl == NULL)
			nl = buf + len;
		lines++;
		if (row_parse(&row, line, (size_t)(nl - line)) == 0) {
			rc = fn(&row, arg);
		} else { /* the unit fails too: a table rewritten from part of it loses rows */
			rc = rerr_set(&bad, RX_IO, "state/%s: damaged: line %zu is not a row", path, lines);
			store_unit_fail(s, &bad);
			if (e)
				*e = bad;
		}
		kv_free(&row);
	}
	free(buf);
	return rc > 0 ? 0 : rc;
}

struct find {
	const char *field, *value; /* the row whose field has this value */
	struct kv *out;
	int found;
};

static int find_row(struct kv *row, void *arg)
{
	struct find *f = arg;

	if (!kv_get(row, f->field) || strcmp(kv_get(row, f->field), f->value) != 0)
		return 0;
	kv_copy(f->out, row);
	f->found = 1;
	return 1;
}

/* How a home's tables split as they grow: in layouts 8 and 9 a whole table, in 10
 * a leaf alone; a home of 7 keeps the leaves the release before made, so that its
 * replay makes them again alike. */
enum split_kind { SPLIT_NONE, SPLIT_TABLE, SPLIT_LEAF };

static int split_kind(struct store *s, struct rerr *e)
{
	int v = rec_layout(s, e);

	return v < 0 ? -1 : v >= 10 ? SPLIT_LEAF : v >= 8 ? SPLIT_TABLE : SPLIT_NONE;
}

/* Whether the leaf's place at path was split (layout 10): 1 if its split record is
 * there, 0 if not, -1 if that cannot be read (and the unit fails). */
static int leaf_split(struct store *s, const char *path, struct rerr *e)
{
	char p[LEAF_PATH], *buf;
	int rc;

	snprintf(p, sizeof p, "%s/" SPLIT_RECORD, path);
	if ((rc = store_get(s, p, &buf, NULL, e)) == 0)
		free(buf);
	return rc < 0 ? -1 : rc == 0;
}

/* The owner's folder in the context's table (into folder), and the leaf there that
 * holds the row of id (into leaf): its depth, or -1 if the table is damaged. */
static int row_leaf(struct store *s, int ctx, enum rec_owner kind, const char *owner,
		    const char *id, char folder[200], char leaf[LEAF_PATH], struct rerr *e)
{
	int depth = DEPTH_MIN, split = 0, k = split_kind(s, e);

	name_path(folder, 200, ctx, owner_what(kind), owner, "");
	if (k < 0 || (k != SPLIT_LEAF && (depth = owner_depth(s, folder, e)) < 0))
		return -1;
	leaf_path(leaf, LEAF_PATH, folder, id, depth);
	while (k == SPLIT_LEAF && depth < ID_DIGITS && (split = leaf_split(s, leaf, e)) == 1)
		leaf_path(leaf, LEAF_PATH, folder, id, ++depth);
	return split < 0 ? -1 : depth;
}

int rec_row(struct store *s, int ctx, enum rec_owner kind, const char *owner, const char *res,
	    struct kv *row, struct rerr *e)
{
	char f[200], p[LEAF_PATH];
	struct find fd = {"reservation", res, row, 0};

	kv_init(row);
	if (!valid_name(owner) || !(valid_id(res, "res") || valid_id(res, "blk")))
		return 1;
	if (row_leaf(s, ctx, kind, owner, res, f, p, e) < 0 || table_each(s, p, find_row, &fd, e) < 0)
		return -1;
	return fd.found ? 0 : 1;
}

struct rewrite {
	const struct kv *row; /* the new row, or NULL to take the old one out */
	const char *field, *value; /* the row it replaces: the one whose field has value */
	char *buf;
	size_t len;
	int placed, changed;
};

/* Copies the rows in id order, the new row in its place (or instead of its old one). */
static int copy_row(struct kv *row, void *arg)
{
	struct rewrite *w = arg;
	const char *id = kv_get(row, w->field) ? kv_get(row, w->field) : "";
	int c = strcmp(id, w->value);

	if (!w->placed && c >= 0 && w->row) {
		row_format(&w->buf, &w->len, w->row);
		w->placed = 1;
	}
	if (c != 0)
		row_format(&w->buf, &w->len, row);
	else
		w->changed = 1;
	return 0;
}

/* Puts row into the table at path in its place, the rows in the order of their field
 * (row NULL: takes the row whose field is value out); a table left empty is removed.
 * The table's length now. */
static size_t table_rewrite(struct store *s, const char *path, const struct kv *row,
			    const char *field, const char *value)
{
	struct rewrite w = {row, field, value, xcalloc(1, 1), 0, 0, 0};

	table_each(s, path, copy_row, &w, NULL);
	if (row && !w.placed)
		row_format(&w.buf, &w.len, row);
	if (w.len > 0)
		store_put(s, path, w.buf, w.len);
	else if (w.changed)
		store_del(s, path);
	free(w.buf);
	return w.len;
}

static void split_table(struct store *s, const char *folder, int depth);
static void split_deeper(struct store *s, const char *folder, const char *path, int depth);

void rec_row_put(struct store *s, int ctx, enum rec_owner kind, const char *owner,
		 const struct kv *row)
{
	char f[200], p[LEAF_PATH];
	const char *res = kv_get(row, "reservation");
	int depth = row_leaf(s, ctx, kind, owner, res, f, p, NULL), k;

	if (depth < 0 || table_rewrite(s, p, row, "reservation", res) <= LEAF_BYTES)
		return;
	if ((k = split_kind(s, NULL)) == SPLIT_LEAF && depth < ID_DIGITS)
		split_deeper(s, f, p, depth);
	else if (k == SPLIT_TABLE && depth < DEPTH_MAX)
		split_table(s, f, depth);
}

void rec_row_del(struct store *s, int ctx, enum rec_owner kind, const char *owner, const char *res)
{
	char f[200], p[LEAF_PATH];

	if (row_leaf(s, ctx, kind, owner, res, f, p, NULL) >= 0)
		table_rewrite(s, p, NULL, "reservation", res);
}

struct collect {
	struct store *s;
	struct kv *v;
	size_t n;
};

static int collect_row(struct kv *row, void *arg)
{
	struct collect *c = arg;

	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	c->v[c->n++] = *row;
	kv_init(row); /* the copy owns it now */
	return 0;
}

/* Hands c's rows over (*rows, *n) where rc says they were all read; on a fault the
 * caller gets none, and what was read is freed here. rc. */
static int collected(struct collect *c, int rc, struct kv **rows, size_t *n)
{
	if (rc < 0) {
		store_records_free(c->v, c->n);
		c->v = NULL, c->n = 0;
	}
	*rows = c->v;
	*n = c->n;
	return rc;
}

/* Calls fn for each leaf of the owner's table in folder (depth digits, and deeper
 * where a leaf was split) as a batch sees it: the leaves it changed, by name, then the
 * committed ones it did not, by a walk of the folder (a command, which changes
 * nothing, reads just the leaves there are); stops at fn's non-zero. A leaf the batch
 * took out may be met too, and reads as no rows. With records, split records are
 * handed to fn as well (to take a table out whole). */
typedef int leaf_fn(struct store *s, const char *leaf, void *arg, struct rerr *e);
struct leaf_walk {
	struct store *s;
	leaf_fn *fn;
	void *arg;
	int splits, records; /* splits: leaves may have been split (layout 10, no agenda) */
};

/* The leaves a batch changed at or under path (a leaf's place): the leaf, or if the
 * batch split it, or a split made before, what the batch changed under it. */
static int pending_leaves(struct leaf_walk *w, const char *path, int split_before,
			  struct rerr *e)
{
	char p[LEAF_PATH];
	int rc = store_pending(w->s, path) ? w->fn(w->s, path, w->arg, e) : 0;

	snprintf(p, sizeof p, "%s/" SPLIT_RECORD, path);
	if (rc != 0 || !w->splits || (!split_before && !store_pending(w->s, p)))
		return rc;
	if (!split_before) { /* a split record the batch changed: put, or taken out? */
		int split = leaf_split(w->s, path, e);
		if (split != 1)
			return split;
		if (w->records && (rc = w->fn(w->s, p, w->arg, e)) != 0)
			return rc;
	}
	for (int x = 0; rc == 0 && x < 16; x++) {
		snprintf(p, sizeof p, "%s/%c", path, hexdigits[x]);
		rc = pending_leaves(w, p, 0, e);
	}
	return rc;
}

static int committed_leaf(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct leaf_walk *w = arg;
	int rc;

	if (strcmp(name, DEPTH_RECORD) == 0 || store_pending(w->s, path))
		return 0;
	if (strcmp(name, SPLIT_RECORD) != 0)
		return w->fn(w->s, path, w->arg, e);
	/* A leaf split by a batch before: what this one made under it. */
	if (w->records && (rc = w->fn(w->s, path, w->arg, e)) != 0)
		return rc;
	char node[LEAF_PATH];
	snprintf(node, sizeof node, "%.*s", (int)(name - path - 1), path);
	return pending_leaves(w, node, 1, e);
}

static int each_leaf(struct leaf_walk *w, const char *folder, int depth, struct rerr *e)
{
	char id[2 + ID_DIGITS + 1], p[LEAF_PATH];
	size_t names = store_changes(w->s) > 0 ? (size_t)1 << (4 * depth) : 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < names; i++) {
		snprintf(id, sizeof id, "x-%0*zx", depth, i);
		leaf_path(p, sizeof p, folder, id, depth);
		rc = pending_leaves(w, p, 0, e);
	}
	return rc == 0 ? store_walk(w->s, folder, committed_leaf, w, e) : rc;
}

static int collect_leaf(struct store *s, const char *leaf, void *arg, struct rerr *e)
{
	return table_each(s, leaf, collect_row, arg, e);
}

/* Walks the owner's table in folder with w (w->splits: in layout 10, as deep as its
 * leaves were split; else as deep as its depth record says): that depth, or -1. */
static int walk_table(struct leaf_walk *w, const char *folder, struct rerr *e)
{
	int depth = DEPTH_MIN, k = w->splits ? split_kind(w->s, e) : SPLIT_NONE;

	if (k < 0)
		return -1;
	w->splits = k == SPLIT_LEAF;
	if (!w->splits && (depth = owner_depth(w->s, folder, e)) < 0)
		return -1;
	return each_leaf(w, folder, depth, e) < 0 ? -1 : depth;
}

/* Every row of an owner's table (splits: one that may split; an agenda does not), as
 * a batch sees it, a leaf's rows together. */
static int owner_rows(struct store *s, int ctx, const char *what, const char *owner, int splits,
		      struct kv **rows, size_t *n, struct rerr *e)
{
	char f[200];
	struct collect c = {s, NULL, 0};
	struct leaf_walk w = {s, collect_leaf, &c, splits, 0};
	int rc = 0;

	if (valid_name(owner)) {
		name_path(f, sizeof f, ctx, what, owner, "");
		rc = walk_table(&w, f, e) < 0 ? -1 : 0;
	}
	return collected(&c, rc, rows, n);
}

int rec_rows(struct store *s, int ctx, enum rec_owner kind, const char *owner, struct kv **rows,
	     size_t *n, struct rerr *e)
{
	return owner_rows(s, ctx, owner_what(kind), owner, 1, rows, n, e);
}

/* A drop's list of the table's files: taken out after the walk, which would otherwise
 * meet a leaf it took out again as one the batch changed. */
struct paths {
	char **v;
	size_t n;
};

static int list_leaf(struct store *s, const char *leaf, void *arg, struct rerr *e)
{
	struct paths *l = arg;

	(void)s, (void)e;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = xstrdup(leaf);
	return 0;
}

int rec_rows_drop(struct store *s, int ctx, enum rec_owner kind, const char *owner, struct rerr *e)
{
	char f[200], p[LEAF_PATH];
	struct paths l = {NULL, 0};
	struct leaf_walk w = {s, list_leaf, &l, 1, 1};
	int depth;

	if (!valid_name(owner))
		return 0;
	name_path(f, sizeof f, ctx, owner_what(kind), owner, "");
	depth = walk_table(&w, f, e);
	for (size_t i = 0; i < l.n; i++) {
		if (depth >= 0)
			store_del(s, l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	if (depth < 0)
		return -1;
	depth_path(p, f);
	if (depth > DEPTH_MIN)
		store_del(s, p);
	return 0;
}

/* A leaf being split: its rows by the next digit of their id (see leaf_of), in the
 * order they come (the leaf's: each child stays in table_rewrite's order). */
struct split {
	const char *folder, *leaf;
	int depth; /* the leaves' digits before */
	char *buf[16];
	size_t len[16], rows[16]; /* of each child, the leaf's last split (kept after it) */
	int bad; /* a row that is not the leaf's, or whose id's next digit is not hex */
};

static int split_row(struct kv *row, void *arg)
{
	struct split *sp = arg;
	const char *id = kv_get(row, "reservation") ?: "", *d;
	char p[LEAF_PATH];

	leaf_path(p, sizeof p, sp->folder, id, sp->depth);
	if (strcmp(p, sp->leaf) != 0)
		return sp->bad = 1;
	leaf_path(p, sizeof p, sp->folder, id, sp->depth + 1);
	if ((d = strchr(hexdigits, p[strlen(p) - 1])) == NULL)
		return sp->bad = 1;
	row_format(&sp->buf[d - hexdigits], &sp->len[d - hexdigits], row);
	sp->rows[d - hexdigits]++;
	return 0;
}

/* Moves the rows of one leaf into its 16 children, leaf/X. */
static int split_leaf(struct store *s, const char *leaf, void *arg, struct rerr *e)
{
	struct split *sp = arg;
	char p[LEAF_PATH];
	int rc;

	sp->leaf = leaf;
	memset(sp->len, 0, sizeof sp->len);
	memset(sp->rows, 0, sizeof sp->rows);
	rc = table_each(s, leaf, split_row, sp, e);
	if (rc == 0 && sp->bad)
		rc = rerr_set(e, RX_IO, "state/%s: damaged: a row whose reservation is not of this leaf",
			      leaf);
	for (int x = 0; x < 16; x++) {
		if (rc == 0 && sp->len[x] > 0) {
			snprintf(p, sizeof p, "%s/%c", leaf, hexdigits[x]);
			store_put(s, p, sp->buf[x], sp->len[x]);
		}
		free(sp->buf[x]);
		sp->buf[x] = NULL;
	}
	if (rc == 0)
		store_del(s, leaf);
	return rc;
}

/* Writes the record at path that says the leaves under it have depth digits (a
 * table's depth record, or a split leaf's split record). */
static void put_depth(struct store *s, const char *path, int depth)
{
	struct kv m;

	kv_init(&m);
	kv_setnum(&m, "depth", depth);
	store_put_kv(s, path, &m);
	kv_free(&m);
}

/* Moves the owner's table in folder a digit deeper, a leaf at a time (its own buffers
 * hold one leaf; the unit keeps the old leaves to take back, and the batch the new
 * ones: some twice the table, 7 MiB at most), and says the depth in its record. A
 * fault fails the unit, which takes back the leaves already moved. */
static void split_table(struct store *s, const char *folder, int depth)
{
	struct split sp = {folder, NULL, depth, {NULL}, {0}, {0}, 0};
	struct leaf_walk w = {s, split_leaf, &sp, 0, 0};
	struct rerr e = {0};
	char p[LEAF_PATH];

	if (each_leaf(&w, folder, depth, &e) < 0) {
		store_unit_fail(s, &e);
		return;
	}
	depth_path(p, folder);
	put_depth(s, p, depth + 1);
}

/* Layout 10: moves the rows of the leaf at path (depth digits) into its 16 children,
 * says so in its split record (the depth of the leaves under it), and splits each
 * child still longer than LEAF_BYTES in turn (of more than one row): no more than the
 * one leaf's rows are rewritten. A fault fails the unit, which takes back what was moved. */
static void split_deeper(struct store *s, const char *folder, const char *path, int depth)
{
	struct split sp = {folder, NULL, depth, {NULL}, {0}, {0}, 0};
	struct rerr e = {0};
	char p[LEAF_PATH];

	if (split_leaf(s, path, &sp, &e) < 0) {
		store_unit_fail(s, &e);
		return;
	}
	snprintf(p, sizeof p, "%s/" SPLIT_RECORD, path);
	put_depth(s, p, depth + 1);
	for (int x = 0; x < 16; x++) {
		snprintf(p, sizeof p, "%s/%c", path, hexdigits[x]);
		if (sp.len[x] > LEAF_BYTES && sp.rows[x] > 1 && depth + 1 < ID_DIGITS)
			split_deeper(s, folder, p, depth + 1);
	}
}

/* ---- a car's agenda: a car's table (see leaf_of), whose leaves never split ---- */

static void agenda_path(char *out, size_t size, const char *car, const char *id)
{
	char f[200];

	name_path(f, sizeof f, CTX_RESERVATION, "agenda", car, "");
	leaf_path(out, size, f, id, DEPTH_MIN); /* what a car holds now: a few hundred rows */
}

/* The rows of the one table at path (none when there is no such table). */
static int table_rows(struct store *s, const char *path, struct kv **rows, size_t *n,
		      struct rerr *e)
{
	struct collect c = {s, NULL, 0};

	return collected(&c, table_each(s, path, collect_row, &c, e), rows, n);
}

/* The rows of car's table CTX/WHAT/xx/CAR (none for a name that is not a car's). */
static int car_rows(struct store *s, int ctx, const char *what, const char *car, struct kv **rows,
		    size_t *n, struct rerr *e)
{
	char p[200];

	*rows = NULL;
	*n = 0;
	if (!valid_name(car))
		return 0;
	name_path(p, sizeof p, ctx, what, car, "");
	return table_rows(s, p, rows, n, e);
}

int rec_agenda(struct store *s, const char *car, struct kv **rows, size_t *n, struct rerr *e)
{
	return owner_rows(s, CTX_RESERVATION, "agenda", car, 0, rows, n, e);
}

void rec_agenda_put(struct store *s, const char *car, const struct kv *row)
{
	char p[200];

	agenda_path(p, sizeof p, car, kv_get(row, "reservation"));
	table_rewrite(s, p, row, "reservation", kv_get(row, "reservation"));
}

void rec_agenda_del(struct store *s, const char *car, const char *id)
{
	char p[200];

	agenda_path(p, sizeof p, car, id);
	table_rewrite(s, p, NULL, "reservation", id);
}

/* The cars' agendas in path order: the leaves of a car come together. */
struct each_agenda {
	struct collect c; /* the rows of car so far */
	char car[200];
	rec_agenda_fn *fn;
	void *arg;
};

/* Gives fn the rows gathered for the car, and starts afresh. */
static int agenda_flush(struct each_agenda *a, struct rerr *e)
{
	int rc = a->c.n ? a->fn(a->car, a->c.v, a->c.n, a->arg, e) : 0;

	store_records_free(a->c.v, a->c.n);
	a->c.v = NULL;
	a->c.n = 0;
	return rc;
}

/* A leaf "reservation/agenda/xx/CAR/h/g" (name: "g"): its rows join its car's. A file
 * of another shape is not an agenda's, and is passed over. */
static int one_agenda(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct each_agenda *a = arg;
	const char *end = name - 3, *car = end;
	int rc = 0;

	if (name - path < 4 || strlen(name) != 1 || name[-1] != '/' || name[-3] != '/')
		return 0;
	while (car > path && car[-1] != '/')
		car--;
	if (strlen(a->car) != (size_t)(end - car) || strncmp(a->car, car, (size_t)(end - car)) != 0) {
		rc = agenda_flush(a, e);
		snprintf(a->car, sizeof a->car, "%.*s", (int)(end - car), car);
	}
	return rc < 0 ? -1 : table_each(a->c.s, path, collect_row, &a->c, e);
}

int rec_agendas(struct store *s, rec_agenda_fn *fn, void *arg, struct rerr *e)
{
	char p[64];
	struct each_agenda a = {{s, NULL, 0}, "", fn, arg};
	int rc;

	snprintf(p, sizeof p, "%s/agenda", context_name(CTX_RESERVATION));
	rc = store_walk(s, p, one_agenda, &a, e);
	if (rc == 0)
		return agenda_flush(&a, e);
	store_records_free(a.c.v, a.c.n);
	return rc;
}

/* ---- blocks ---- */

static void block_path(char *out, size_t size, const char *blk)
{
	char sh[6];

	id_shard(sh, blk);
	snprintf(out, size, "%s/blocks/%s/%s.yaml", context_name(CTX_RESERVATION), sh, blk);
}

int rec_block(struct store *s, const char *blk, struct kv *b, struct rerr *e)
{
	char p[128];

	kv_init(b);
	if (!valid_id(blk, "blk"))
		return 1;
	block_path(p, sizeof p, blk);
	return store_get_kv(s, p, b, e);
}

void rec_block_put(struct store *s, const struct kv *b)
{
	char p[128];

	block_path(p, sizeof p, kv_get(b, "block"));
	store_put_kv(s, p, b);
}

/* ---- a car's reviews ---- */

static void reviews_path(char *out, size_t size, const char *car)
{
	name_path(out, size, CTX_MANAGEMENT, "reviews", car, "");
}

int rec_reviews(struct store *s, const char *car, struct kv **rows, size_t *n, struct rerr *e)
{
	return car_rows(s, CTX_MANAGEMENT, "reviews", car, rows, n, e);
}

void rec_reviews_put(struct store *s, const char *car, const struct kv *rows, size_t n)
{
	char p[200], *buf = xcalloc(1, 1);
	size_t len = 0;

	reviews_path(p, sizeof p, car);
	for (size_t i = 0; i < n; i++)
		row_format(&buf, &len, &rows[i]);
	if (len)
		store_put(s, p, buf, len);
	else
		store_del(s, p);
	free(buf);
}

/* ---- held nights ---- */

/* By month first: the cars free on a night are the fleet less those named under its
 * month, however long the history of the others. */
static void month_path(char *out, size_t size, const char *car, int y, int m)
{
	char sh[3];

	shard_name(sh, car);
	snprintf(out, size, "%s/held/%04d-%02d/%s/%s", context_name(CTX_RESERVATION), y, m, sh, car);
}

int rec_month(struct store *s, const char *car, int year, int month, char holders[31][ID_LEN],
	      struct rerr *e)
{
	char p[200], *buf;
	int rc;

	memset(holders, 0, 31 * ID_LEN);
	month_path(p, sizeof p, car, year, month);
	if ((rc = store_get(s, p, &buf, NULL, e)) != 0)
		return rc < 0 ? -1 : 0;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		int d = atoi(line);
		if (d >= 1 && d <= 31 && strlen(line) > 3)
			snprintf(holders[d - 1], ID_LEN, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
	}
	free(buf);
	return 0;
}

static void month_put(struct store *s, const char *car, int y, int m, char holders[31][ID_LEN])
{
	char p[200], buf[31 * (ID_LEN + 4)];
	size_t len = 0;

	month_path(p, sizeof p, car, y, m);
	for (int d = 0; d < 31; d++)
		if (holders[d][0])
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%02d %s\n", d + 1, holders[d]);
	if (len)
		store_put(s, p, buf, len);
	else
		store_del(s, p);
}

/* Runs over the nights [from, to) a month at a time: set holds them for holder
 * (set 1), frees those holder holds (set 0), or finds the first held (set -1). */
static int each_night(struct store *s, const char *car, long from, long to, const char *holder,
		      int set, long *day, char found[ID_LEN], struct rerr *e)
{
	char holders[31][ID_LEN];

	for (long d = from; d < to;) {
		int y, m, dd;
		date_from_days(d, &y, &m, &dd);
		if (rec_month(s, car, y, m, holders, e) < 0)
			return -1;
		int changed = 0;
		for (; d < to; d++) {
			int y2, m2;
			date_from_days(d, &y2, &m2, &dd);
			if (y2 != y || m2 != m)
				break;
			char *h = holders[dd - 1];
			if (set < 0 && h[0]) {
				*day = d;
				memcpy(found, h, ID_LEN);
				return 1;
			}
			if (set == 1) {
				snprintf(h, ID_LEN, "%s", holder);
				changed = 1;
			} else if (set == 0 && h[0] && (holder == NULL || strcmp(h, holder) == 0)) {
				h[0] = '\0';
				changed = 1;
			}
		}
		if (changed)
			month_put(s, car, y, m, holders);
	}
	return 0;
}

int rec_first_held(struct store *s, const char *car, long from, long to, long *day,
		   char holder[ID_LEN], struct rerr *e)
{
	return each_night(s, car, from, to, NULL, -1, day, holder, e);
}

int rec_hold(struct store *s, const char *car, long from, long to, const char *holder,
	     struct rerr *e)
{
	return each_night(s, car, from, to, holder, 1, NULL, NULL, e);
}

int rec_free(struct store *s, const char *car, long from, long to, const char *holder,
	     struct rerr *e)
{
	return each_night(s, car, from, to, holder, 0, NULL, NULL, e);
}

/* ---- records by car: a table a shard, a row a car ---- */

/* "DIR/xx": the table of dir that holds car's row. */
static void car_table(char *out, size_t size, const char *dir, const char *car)
{
	char sh[3];

	shard_name(sh, car);
	snprintf(out, size, "%s/%s", dir, sh);
}

static int car_get(struct store *s, const char *dir, const char *car, struct kv *r, struct rerr *e)
{
	char p[200];
	struct find f = {"car", car, r, 0};

	kv_init(r);
	if (!valid_name(car))
		return 1;
	car_table(p, sizeof p, dir, car);
	if (table_each(s, p, find_row, &f, e) < 0)
		return -1;
	return f.found ? 0 : 1;
}

/* Puts r as car's row of dir (r NULL takes it out). */
static void car_put(struct store *s, const char *dir, const char *car, const struct kv *r)
{
	char p[200];

	car_table(p, sizeof p, dir, car);
	table_rewrite(s, p, r, "car", car);
}

static int collect_table(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct collect *c = arg;

	(void)name;
	return table_each(c->s, path, collect_row, c, e);
}

/* Every row of dir's tables, as committed. */
static int car_all(struct store *s, const char *dir, struct kv **recs, size_t *n, struct rerr *e)
{
	struct collect c = {s, NULL, 0};

	return collected(&c, store_walk(s, dir, collect_table, &c, e), recs, n);
}

static void ctx_dir(char *out, size_t size, int ctx, const char *what)
{
	snprintf(out, size, "%s/%s", context_name(ctx), what);
}

int rec_car(struct store *s, int ctx, const char *car, struct kv *c, struct rerr *e)
{
	char d[64];

	ctx_dir(d, sizeof d, ctx, "cars");
	return car_get(s, d, car, c, e);
}

void rec_car_put(struct store *s, int ctx, const struct kv *c)
{
	char d[64];

	ctx_dir(d, sizeof d, ctx, "cars");
	car_put(s, d, kv_get(c, "car"), c);
}

void rec_car_del(struct store *s, int ctx, const char *car)
{
	char d[64];

	ctx_dir(d, sizeof d, ctx, "cars");
	car_put(s, d, car, NULL);
}

int rec_cars(struct store *s, int ctx, struct kv **recs, size_t *n, struct rerr *e)
{
	char d[64];

	ctx_dir(d, sizeof d, ctx, "cars");
	return car_all(s, d, recs, n, e);
}

/* The report's tables of month (YYYY-MM...). */
static void report_dir(char *out, size_t size, const char *month)
{
	snprintf(out, size, "%s/report/%.7s", context_name(CTX_MANAGEMENT), month);
}

int rec_car_month(struct store *s, const char *car, const char *month, struct kv *r,
		  struct rerr *e)
{
	char d[64];

	report_dir(d, sizeof d, month);
	return car_get(s, d, car, r, e);
}

void rec_car_month_put(struct store *s, const char *car, const char *month, const struct kv *r)
{
	char d[64];

	report_dir(d, sizeof d, month);
	car_put(s, d, car, r);
}

int rec_month_cars(struct store *s, const char *month, struct kv **recs, size_t *n,
		   struct rerr *e)
{
	char d[64];

	report_dir(d, sizeof d, month);
	return car_all(s, d, recs, n, e);
}

int rec_fleet_car(struct store *s, const char *car, struct kv *f, struct rerr *e)
{
	char d[64];

	ctx_dir(d, sizeof d, CTX_MANAGEMENT, "fleet");
	return car_get(s, d, car, f, e);
}

void rec_fleet_car_put(struct store *s, const struct kv *f)
{
	char d[64];

	ctx_dir(d, sizeof d, CTX_MANAGEMENT, "fleet");
	car_put(s, d, kv_get(f, "car"), f);
}

int rec_fleet(struct store *s, struct kv **recs, size_t *n, struct rerr *e)
{
	char d[64];

	ctx_dir(d, sizeof d, CTX_MANAGEMENT, "fleet");
	return car_all(s, d, recs, n, e);
}
