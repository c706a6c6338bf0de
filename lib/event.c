/* event: building, sealing, parsing and checking event files. */
#include "event.h"
#include "config.h"
#include "limit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define M (1u << CTX_MANAGEMENT)
#define R (1u << CTX_RESERVATION)
#define P (1u << CTX_PAYMENT)
#define L (1u << CTX_RENTAL)
#define G (1u << CTX_RATING)
#define Y (1u << CTX_MYPAGE)
#define BOOKING "ref", "reservation", "car", "customer"
#define BLOCK "ref", "block", "car", "from", "to"
#define PRICES "weekly", "monthly", "late_fee"

static const struct event_type types[] = {
	{EV_KEY_ADD, "key.add", "key", ROLE_ADMIN, NULL, 0, {"name", "role", "pubkey"}, {0}},
	{EV_KEY_RM, "key.rm", "key", ROLE_ADMIN, NULL, 0, {"name"}, {0}},
	{EV_CAR_ADD, "car.add", "car", ROLE_ADMIN, NULL, M, {"car", "rate"}, {"model", PRICES}},
	{EV_CAR_SET, "car.set", "car", ROLE_ADMIN, NULL, M, {"car"}, {"rate", "model", PRICES}},
	{EV_CAR_RM, "car.rm", "car", ROLE_ADMIN, NULL, M, {"car"}, {0}},
	{EV_CAR_BLOCK, "car.block", "blk", ROLE_ADMIN, NULL, R, {"car", "from", "to"}, {"reason"}},
	{EV_CAR_UNBLOCK, "car.unblock", "ubk", ROLE_ADMIN, NULL, R, {"block"}, {0}},
	{EV_RESERVE, "reserve", "res", ROLE_CUSTOMER, NULL, R, {"car", "from", "to"}, {0}},
	{EV_RESERVE_CANCEL, "reserve.cancel", "rsc", ROLE_CUSTOMER | ROLE_ADMIN, NULL, R, {"reservation"}, {0}},
	{EV_PAY, "pay", "pay", ROLE_CUSTOMER, NULL, P, {"reservation", "amount"}, {0}},
	{EV_PAY_CANCEL, "pay.cancel", "pyc", ROLE_CUSTOMER | ROLE_ADMIN, NULL, P, {"reservation"}, {0}},
	{EV_RENT_RETURN, "rent.return", "ret", ROLE_CUSTOMER | ROLE_ADMIN, NULL, L, {"reservation"}, {0}},
	{EV_RATE, "rate", "rat", ROLE_CUSTOMER, NULL, G, {"reservation", "stars"}, {"comment"}},
	{EV_CAR_REGISTERED, "car.registered", "out", ROLE_SYSTEM, NULL, R | L, {"ref", "car", "rate"}, {"model", PRICES}},
	{EV_CAR_CHANGED, "car.changed", "out", ROLE_SYSTEM, NULL, R | L, {"ref", "car", "rate"}, {PRICES}},
	{EV_CAR_REMOVED, "car.removed", "out", ROLE_SYSTEM, NULL, R | L, {"ref", "car"}, {0}},
	{EV_BLOCK_ACCEPTED, "block.accepted", "out", ROLE_SYSTEM, NULL, M, {BLOCK}, {0}},
	{EV_BLOCK_REJECTED, "block.rejected", "out", ROLE_SYSTEM, NULL, 0, {BLOCK, "reason"}, {0}},
	{EV_BLOCK_ENDED, "block.ended", "out", ROLE_SYSTEM, NULL, M, {"ref", "block", "car"}, {0}},
	{EV_RES_ACCEPTED, "reservation.accepted", "out", ROLE_SYSTEM, "RESERVED", M | P | Y,
	 {BOOKING, "from", "to"}, {"nights", "amount"}},
	{EV_RES_REJECTED, "reservation.rejected", "out", ROLE_SYSTEM, "REJECTED", M | P | Y,
	 {BOOKING, "from", "to"}, {"nights", "amount", "reason"}},
	{EV_RES_CANCELED, "reservation.canceled", "out", ROLE_SYSTEM, "RESERVATION_CANCELED", M | P | Y,
	 {BOOKING}, {0}},
	{EV_PAY_ACCEPTED, "payment.accepted", "out", ROLE_SYSTEM, "RENTED", M | R | L | Y,
	 {BOOKING, "payment", "amount"}, {"from", "to"}},
	{EV_PAY_CANCELED, "payment.canceled", "out", ROLE_SYSTEM, "PAYMENT_CANCELED", M | R | L | G | Y,
	 {BOOKING, "payment"}, {0}},
	{EV_RENTAL_RETURNED, "rental.returned", "out", ROLE_SYSTEM, "RETURNED", M | R | P | G | Y,
	 {BOOKING}, {"late_fee"}},
	{EV_RATING_ACCEPTED, "rating.accepted", "out", ROLE_SYSTEM, NULL, M | Y,
	 {BOOKING, "stars", "rating"}, {"comment"}},
	{EV_REFUSED, "refused", "out", ROLE_SYSTEM, NULL, 0, {"ref", "context", "reason"}, {0}},
};
_Static_assert(sizeof types / sizeof types[0] == EV_COUNT, "a row for every kind, in order");

const struct event_type *event_type_find(const char *type)
{
	for (size_t i = 0; type && i < EV_COUNT; i++)
		if (strcmp(types[i].type, type) == 0)
			return &types[i];
	return NULL;
}

const struct event_type *event_type_of(enum event_kind kind)
{
	return &types[kind];
}

const struct event_type *event_type_get(const struct event *ev)
{
	return event_type_find(kv_get(&ev->f, "type"));
}

enum event_kind event_kind_of(const struct event *ev)
{
	const struct event_type *t = event_type_get(ev);

	return t ? t->kind : EV_COUNT;
}

int role_parse(const char *s)
{
	if (strcmp(s, "admin") == 0)
		return ROLE_ADMIN;
	if (strcmp(s, "customer") == 0)
		return ROLE_CUSTOMER;
	if (strcmp(s, "system") == 0)
		return ROLE_SYSTEM;
	return 0;
}

const char *role_name(int role)
{
	return role == ROLE_ADMIN ? "admin" : role == ROLE_SYSTEM ? "system" : "customer";
}

void event_init(struct event *ev)
{
	memset(ev, 0, sizeof *ev);
	kv_init(&ev->f);
}

void event_free(struct event *ev)
{
	kv_free(&ev->f);
	free(ev->raw);
	event_init(ev);
}

/* An id's first four hex digits are the Unix second it was made in, modulo 65,536,
 * low byte first; the other twelve are random. State folders are sharded by those
 * digits (shard_id: both bytes; a customer's or a car's entries: the first), so the
 * events of one batch, made within seconds of each other, land in a few folders: a
 * batch rewrites a few git trees instead of one for each event, and the file system
 * finds the folders in its cache. Low byte first, so that a folder keyed by the first
 * byte alone takes the seconds of every 256-second turn alike and holds 1/256 of its
 * history, as with random ids, not a burst's worth. Ids are unique by their 48 random
 * bits among the ids of the same second: a million ids made a thousand a second clash
 * with odds of about 2 in a million. */
void event_new_id(char out[ID_LEN], const char *prefix)
{
	unsigned char r[6];
	unsigned long long t = (unsigned long long)time(NULL);

	randombytes_buf(r, sizeof r);
	snprintf(out, ID_LEN, "%.3s-%02x%02x%02x%02x%02x%02x%02x%02x", prefix, (unsigned)(t & 0xff),
		 (unsigned)((t >> 8) & 0xff), r[0], r[1], r[2], r[3], r[4], r[5]);
}

void event_now(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void event_start(struct event *ev, const char *type, const char *actor)
{
	const struct event_type *t = event_type_find(type);
	char id[ID_LEN], now[21];

	event_new_id(id, t ? t->prefix : "evt");
	event_now(now);
	kv_set(&ev->f, "id", id);
	kv_set(&ev->f, "type", type);
	kv_set(&ev->f, "time", now);
	kv_set(&ev->f, "actor", actor);
}

void event_seal(struct event *ev, const struct seckey *k)
{
	size_t blen;
	char *body = kv_format(&ev->f, &blen);

	sig_sign(ev->sigbuf, k, body, blen);
	free(ev->raw);
	ev->raw = xasprintf("%ssignature: %s\n", body, ev->sigbuf);
	ev->len = strlen(ev->raw);
	ev->body_len = blen;
	ev->sig = ev->sigbuf;
	free(body);
}

/* The last line must be "signature: B64\n"; everything before it is signed. */
static int split_signature(struct event *ev, const char *what, struct rerr *e)
{
	const char *tag = "signature: ";
	size_t n = ev->len, start;

	if (n == 0)
		return rerr_set(e, RX_DATA, "%s: empty file", what);
	if (ev->raw[n - 1] != '\n')
		return rerr_set(e, RX_DATA, "%s: truncated (no newline at the end)", what);
	start = n - 1;
	while (start > 0 && ev->raw[start - 1] != '\n')
		start--;
	if (strncmp(ev->raw + start, tag, strlen(tag)) != 0)
		return rerr_set(e, RX_DATA, "%s: no signature line at the end", what);
	size_t slen = n - 1 - start - strlen(tag);
	if (slen >= SIG_B64)
		return rerr_set(e, RX_DATA, "%s: signature too long", what);
	memcpy(ev->sigbuf, ev->raw + start + strlen(tag), slen);
	ev->sigbuf[slen] = '\0';
	ev->sig = ev->sigbuf;
	ev->body_len = start;
	return 0;
}

/* HH:MM:SS of a day (a leap second's 60 too). */
static int valid_clock(const char *t)
{
	for (int i = 0; i < 8; i++)
		if (i % 3 == 2 ? t[i] != ':' : (t[i] < '0' || t[i] > '9'))
			return 0;
	return atoi(t) < 24 && atoi(t + 3) < 60 && atoi(t + 6) <= 60;
}

/* bounded: an event written now, whose time of day is checked too (a history may hold
 * one of before that was checked). */
static int check_base(const struct event *ev, const char *what, int bounded, struct rerr *e)
{
	const char *id = kv_get(&ev->f, "id"), *type = kv_get(&ev->f, "type");
	const char *time = kv_get(&ev->f, "time"), *actor = kv_get(&ev->f, "actor");
	const struct event_type *t;

	if (!id || !type || !time || !actor)
		return rerr_set(e, RX_DATA, "%s: missing one of id, type, time, actor", what);
	if ((t = event_type_find(type)) == NULL)
		return rerr_set(e, RX_DATA, "%s: unknown event type '%.40s'", what, type);
	if (!valid_id(id, t->prefix))
		return rerr_set(e, RX_DATA, "%s: malformed id for a %s event", what, type);
	if (strlen(time) != 20 || time[10] != 'T' || time[19] != 'Z' || !valid_date((char[11]){
		    time[0], time[1], time[2], time[3], time[4], time[5], time[6], time[7],
		    time[8], time[9], 0}) || (bounded && !valid_clock(time + 11)))
		return rerr_set(e, RX_DATA, "%s: malformed time", what);
	if (!valid_name(actor))
		return rerr_set(e, RX_DATA, "%s: malformed actor", what);
	return 0;
}

static int check_fields(const struct event *ev, int bounded, struct rerr *e);

/* Parses buf as an event; bounded: its values are checked against the limits too. */
static int parse(struct event *ev, const char *buf, size_t len, const char *what, int bounded,
		 struct rerr *e)
{
	event_init(ev);
	if (len > EVENT_MAX)
		return rerr_set(e, RX_DATA, "%s: larger than %d bytes", what, EVENT_MAX);
	ev->raw = xcalloc(1, len + 1);
	memcpy(ev->raw, buf, len);
	ev->len = len;
	if (split_signature(ev, what, e) < 0 || kv_parse(&ev->f, ev->raw, ev->body_len, what, e) < 0 ||
	    check_base(ev, what, bounded, e) < 0 || check_fields(ev, bounded, e) < 0) {
		char msg[sizeof e->msg];
		if (e && strncmp(e->msg, what, strlen(what)) != 0) {
			snprintf(msg, sizeof msg, "%.80s: %.400s", what, e->msg);
			memcpy(e->msg, msg, sizeof msg);
		}
		event_free(ev);
		return -1;
	}
	return 0;
}

static int listed(const char *const *list, size_t n, const char *k)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (strcmp(list[i], k) == 0)
			return 1;
	return 0;
}

/* Checks one field's value by what its name means. A writer's event (not an outcome)
 * has its values within the limits; an outcome, decided by the dispatcher from such
 * values, holds whole numbers a reader takes exactly. */
int event_parse(struct event *ev, const char *buf, size_t len, const char *what, struct rerr *e)
{
	return parse(ev, buf, len, what, 1, e);
}

int event_parse_logged(struct event *ev, const char *buf, size_t len, const char *what,
		       struct rerr *e)
{
	return parse(ev, buf, len, what, 0, e);
}

static int is_price(const char *k)
{
	return !strcmp(k, "rate") || !strcmp(k, "weekly") || !strcmp(k, "monthly") ||
	       !strcmp(k, "late_fee");
}

/* Checks one field's value; bounded: a writer's values within the limits too. */
static int check_value(const struct event_type *t, const char *k, const char *v, int bounded,
		       struct rerr *e)
{
	int writer = bounded && t->roles != ROLE_SYSTEM;
	long long n;

	if (!strcmp(k, "car") || !strcmp(k, "name") || !strcmp(k, "customer"))
		return valid_name(v) ? 0 : rerr_set(e, RX_DATA, "%s: malformed name", k);
	if (!strcmp(k, "from") || !strcmp(k, "to"))
		return valid_date(v) ? 0 : rerr_set(e, RX_DATA, "%s: malformed date", k);
	if (!strcmp(k, "reservation"))
		return valid_id(v, "res") ? 0 : rerr_set(e, RX_DATA, "reservation: malformed id");
	if (!strcmp(k, "payment"))
		return valid_id(v, "pay") ? 0 : rerr_set(e, RX_DATA, "payment: malformed id");
	if (!strcmp(k, "rating"))
		return valid_id(v, "rat") ? 0 : rerr_set(e, RX_DATA, "rating: malformed id");
	if (!strcmp(k, "block"))
		return valid_id(v, "blk") ? 0 : rerr_set(e, RX_DATA, "block: malformed id");
	if (!strcmp(k, "ref"))
		return valid_id(v, NULL) ? 0 : rerr_set(e, RX_DATA, "ref: malformed id");
	if (writer && is_price(k))
		return limit_price(v, &n, k, e);
	if (writer && !strcmp(k, "amount"))
		return limit_amount(v, &n, k, e);
	if (is_price(k) || !strcmp(k, "amount") || !strcmp(k, "nights"))
		return parse_money(v, &n) ? 0 : rerr_set(e, RX_DATA, "%s: not a whole number", k);
	if (!strcmp(k, "stars"))
		return limit_stars(v, &n, e);
	if (!strcmp(k, "role"))
		return (!strcmp(v, "admin") || !strcmp(v, "customer") || !strcmp(v, "system")) ? 0
			: rerr_set(e, RX_DATA, "role: not admin or customer");
	if (!strcmp(k, "pubkey")) {
		unsigned char pk[crypto_sign_PUBLICKEYBYTES];
		return sig_pk_decode(pk, v) == 0 ? 0 : rerr_set(e, RX_DATA, "pubkey: not a key");
	}
	const char *ctl = !strcmp(k, "comment") ? "\n\t" : NULL;
	return writer ? limit_input_text(v, ctl, k, e) : limit_text(v, ctl, k, e);
}

int event_check_fields(const struct event *ev, struct rerr *e)
{
	return check_fields(ev, 1, e);
}

static int check_fields(const struct event *ev, int bounded, struct rerr *e)
{
	static const char *const base[] = {"id", "type", "time", "actor"};
	const struct event_type *t = event_type_find(kv_get(&ev->f, "type"));

	if (t == NULL)
		return rerr_set(e, RX_DATA, "unknown event type");
	for (size_t i = 0; i < sizeof t->need / sizeof t->need[0] && t->need[i]; i++)
		if (kv_get(&ev->f, t->need[i]) == NULL)
			return rerr_set(e, RX_DATA, "%s event without %s", t->type, t->need[i]);
	for (size_t i = 0; i < ev->f.n; i++) {
		const char *k = ev->f.k[i];
		if (listed(base, 4, k))
			continue;
		if (!listed(t->need, sizeof t->need / sizeof t->need[0], k) &&
		    !listed(t->may, sizeof t->may / sizeof t->may[0], k))
			return rerr_set(e, RX_DATA, "unknown field '%.40s' in a %s event", k, t->type);
		if (check_value(t, k, ev->f.v[i], bounded, e) < 0)
			return -1;
	}
	if (bounded && t->roles != ROLE_SYSTEM && kv_get(&ev->f, "from") && kv_get(&ev->f, "to"))
		return limit_dates(kv_get(&ev->f, "from"), kv_get(&ev->f, "to"), e);
	return 0;
}

int event_verify(const struct event *ev, const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	if (ev->verdict != 0 && memcmp(ev->vpk, pk, sizeof ev->vpk) == 0)
		return ev->verdict > 0;
	return sig_verify(pk, ev->raw, ev->body_len, ev->sig);
}

void event_preverify(struct event *ev, const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	ev->verdict = 0;
	ev->verdict = event_verify(ev, pk) ? 1 : -1;
	memcpy(ev->vpk, pk, sizeof ev->vpk);
}

void event_outcome_id(char out[ID_LEN], const char *source_id, const char *type, const char *key,
		      int hashed_only)
{
	unsigned char h[8];
	crypto_generichash_state st;
	const char *hex = strchr(source_id, '-');

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)source_id, strlen(source_id));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)type, strlen(type));
	if (key) { /* one of several outcomes of this type from the source */
		crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
		crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	}
	crypto_generichash_final(&st, h, sizeof h);
	if (hashed_only || hex == NULL || strlen(hex + 1) < 4)
		snprintf(out, ID_LEN, "out-%02x%02x%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3],
			 h[4], h[5], h[6], h[7]);
	else /* in its source's shard, so that it lands with the batch that made it */
		snprintf(out, ID_LEN, "out-%.4s%02x%02x%02x%02x%02x%02x", hex + 1, h[0], h[1], h[2],
			 h[3], h[4], h[5]);
}

void event_make_outcome(struct event *out, const struct kv *item, const struct event *src,
			const struct seckey *k, int hashed_only)
{
	event_outcome_fields(out, item, src, hashed_only);
	event_seal(out, k);
}

void event_outcome_fields(struct event *out, const struct kv *item, const struct event *src,
			  int hashed_only)
{
	char id[ID_LEN];

	event_init(out);
	event_outcome_id(id, kv_get(&src->f, "id"), kv_get(item, "type"), kv_get(item, "_key"), hashed_only);
	kv_set(&out->f, "id", id);
	kv_set(&out->f, "type", kv_get(item, "type"));
	kv_set(&out->f, "time", kv_get(&src->f, "time"));
	kv_set(&out->f, "actor", "dispatcher");
	for (size_t i = 0; i < item->n; i++)
		if (strcmp(item->k[i], "type") != 0 && item->k[i][0] != '_')
			kv_set(&out->f, item->k[i], item->v[i]);
}
