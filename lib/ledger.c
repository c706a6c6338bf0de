/* ledger: state/log/ holds each accepted event verbatim, numbered; state/ids/ and
 * keys/ are the indexes admission reads. An id's entry is the event again, a second
 * name of its log file (layout 3); in older homes it holds the event's number, and a
 * reservation's customer (layout 2) or an owners/ file does (layout 1). Folders are
 * sharded so that no git tree grows past about a thousand entries. */
#include "ledger.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ledger_log_path(char *out, size_t size, long long seq)
{
	char d[24];

	snprintf(d, sizeof d, "%012lld", seq);
	/* Leaves of a hundred entries: each batch rewrites small trees only. */
	snprintf(out, size, "log/%.6s/%.2s/%.2s/%s.yaml", d, d + 6, d + 8, d);
}

static void id_path(char *out, size_t size, const char *id)
{
	char sh[6];

	shard_id(sh, id);
	snprintf(out, size, "ids/%s/%s", sh, id);
}

static void key_path(char *out, size_t size, const char *name)
{
	char sh[3];

	shard_name(sh, name);
	snprintf(out, size, "keys/%s/%s.yaml", sh, name);
}

static void owner_path(char *out, size_t size, const char *res)
{
	char sh[6];

	shard_id(sh, res);
	snprintf(out, size, "owners/%s/%s", sh, res);
}

long long ledger_head(struct store *s, struct rerr *e)
{
	struct kv m;
	long long seq;
	int rc = store_get_kv(s, "log/head", &m, e);

	if (rc < 0)
		return -1;
	seq = rc == 1 ? 0 : kv_num(&m, "seq", -1);
	kv_free(&m);
	if (seq < 0)
		return rerr_set(e, RX_IO, "state/log/head: corrupt");
	return seq;
}

int ledger_seen(struct store *s, const char *id, struct rerr *e)
{
	char p[128], *buf;
	int rc;

	id_path(p, sizeof p, id);
	rc = store_get(s, p, &buf, NULL, e);
	if (rc == 0)
		free(buf);
	return rc < 0 ? -1 : rc == 0;
}

int ledger_logged(struct store *s, const char *id, char **buf, size_t *len, struct rerr *e)
{
	char p[128];
	struct kv m;
	int rc;

	id_path(p, sizeof p, id);
	if (store_layout(s) >= 3)
		return store_get(s, p, buf, len, e);
	/* Before layout 3 the entry holds the event's place in the log. */
	if ((rc = store_get_kv(s, p, &m, e)) != 0)
		return rc;
	ledger_log_path(p, sizeof p, kv_num(&m, "seq", 0));
	kv_free(&m);
	return store_get(s, p, buf, len, e);
}

int ledger_key(struct store *s, const char *name, struct kv *key, struct rerr *e)
{
	char p[128];

	if (!valid_name(name))
		return 1;
	key_path(p, sizeof p, name);
	return store_get_kv(s, p, key, e);
}

int ledger_owner(struct store *s, const char *res, char owner[40], struct rerr *e)
{
	char p[128];
	struct kv m;
	int rc;

	owner[0] = '\0';
	if (!valid_id(res, "res"))
		return 1;
	if (store_layout(s) >= 2)
		id_path(p, sizeof p, res);
	else
		owner_path(p, sizeof p, res);
	rc = store_get_kv(s, p, &m, e);
	if (rc != 0)
		return rc;
	/* Layout 3's id entry is the reservation itself: its signer is the customer. */
	const char *who = kv_get(&m, store_layout(s) >= 3 ? "actor" : "customer");
	snprintf(owner, 40, "%s", who ? who : "");
	kv_free(&m);
	return 0;
}

/* The first admin key may sign its own registration, when no key exists yet. */
static int genesis(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *type = kv_get(&ev->f, "type"), *actor = kv_get(&ev->f, "actor");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	long long head = ledger_head(s, e);

	if (head != 0 || strcmp(type, "key.add") != 0 ||
	    strcmp(kv_get(&ev->f, "name"), actor) != 0 || strcmp(kv_get(&ev->f, "role"), "admin") != 0)
		return 0;
	if (sig_pk_decode(pk, kv_get(&ev->f, "pubkey")) < 0 || !event_verify(ev, pk))
		return 0;
	return 1;
}

static int check_owner(struct store *s, const struct event *ev, int role, struct rerr *e)
{
	const char *res = kv_get(&ev->f, "reservation"), *actor = kv_get(&ev->f, "actor");
	char owner[40];
	int rc;

	if (res == NULL || role == ROLE_SYSTEM)
		return 0;
	rc = ledger_owner(s, res, owner, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown reservation", res);
	if (role != ROLE_ADMIN && strcmp(owner, actor) != 0)
		return rerr_set(e, RX_PERM, "%s: not a reservation of %s", res, actor);
	return 0;
}

int ledger_check_signer(const struct event *ev, const unsigned char pk[crypto_sign_PUBLICKEYBYTES],
			int role, struct rerr *e)
{
	const char *actor = kv_get(&ev->f, "actor"), *type = kv_get(&ev->f, "type");
	const struct event_type *t = event_type_find(type);

	if (!event_verify(ev, pk))
		return rerr_set(e, RX_PERM, "bad signature for key '%s'", actor);
	if (!(t->roles & role))
		return rerr_set(e, RX_PERM, "role %s may not write %s events", role_name(role), type);
	if (t->roles == ROLE_SYSTEM)
		return rerr_set(e, RX_PERM, "%s events are decided by the dispatcher, not spooled", type);
	return 0;
}

int ledger_admit(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *actor = kv_get(&ev->f, "actor"), *type = kv_get(&ev->f, "type");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct kv key;
	int rc, role;

	rc = ledger_key(s, actor, &key, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return genesis(s, ev, e) ? 0 : rerr_set(e, RX_PERM, "unknown key '%s'", actor);
	role = role_parse(kv_get(&key, "role") ? kv_get(&key, "role") : "");
	rc = sig_pk_decode(pk, kv_get(&key, "pubkey") ? kv_get(&key, "pubkey") : "");
	kv_free(&key);
	if (rc < 0)
		return rerr_set(e, RX_IO, "state: key '%s' is corrupt", actor);
	if (ledger_check_signer(ev, pk, role, e) < 0)
		return -1;
	if (strcmp(type, "key.add") == 0) {
		rc = ledger_key(s, kv_get(&ev->f, "name"), &key, e);
		kv_free(&key);
		if (rc == 0)
			return rerr_set(e, RX_REFUSED, "key '%s' is registered already", kv_get(&ev->f, "name"));
		if (rc < 0)
			return -1;
	}
	return check_owner(s, ev, role, e);
}

void ledger_preverify(struct store *s, struct event *ev)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct rerr e = {0};
	struct kv key;

	if (ledger_key(s, kv_get(&ev->f, "actor"), &key, &e) != 0)
		return; /* no key yet: admission decides (genesis, or unknown) */
	if (sig_pk_decode(pk, kv_get(&key, "pubkey") ? kv_get(&key, "pubkey") : "") == 0)
		event_preverify(ev, pk);
	kv_free(&key);
}

int ledger_index(struct store *s, const struct event *ev, long long seq, struct rerr *e)
{
	const char *type = kv_get(&ev->f, "type");
	char p[160];
	struct kv m;
	int layout = store_layout(s), reserve = strcmp(type, "reserve") == 0;

	kv_init(&m);
	kv_setnum(&m, "seq", seq);
	store_put_kv(s, "log/head", &m);
	id_path(p, sizeof p, kv_get(&ev->f, "id"));
	if (layout >= 3) {
		/* The id's entry is the event itself: the same blob as its log entry. */
		store_put(s, p, ev->raw, ev->len);
	} else {
		if (reserve && layout == 2)
			kv_set(&m, "customer", kv_get(&ev->f, "actor"));
		store_put_kv(s, p, &m);
	}
	kv_free(&m);
	if (strcmp(type, "key.add") == 0) {
		key_path(p, sizeof p, kv_get(&ev->f, "name"));
		kv_set(&m, "name", kv_get(&ev->f, "name"));
		kv_set(&m, "role", kv_get(&ev->f, "role"));
		kv_set(&m, "pubkey", kv_get(&ev->f, "pubkey"));
		store_put_kv(s, p, &m);
		kv_free(&m);
	} else if (reserve && layout == 1) {
		owner_path(p, sizeof p, kv_get(&ev->f, "id"));
		kv_set(&m, "customer", kv_get(&ev->f, "actor"));
		store_put_kv(s, p, &m);
		kv_free(&m);
	}
	return 0;
}

int ledger_append(struct store *s, const struct event *ev, long long *seq, struct rerr *e)
{
	char p[64];
	long long head = ledger_head(s, e);

	if (head < 0)
		return -1;
	*seq = head + 1;
	ledger_log_path(p, sizeof p, *seq);
	store_put(s, p, ev->raw, ev->len);
	return ledger_index(s, ev, *seq, e);
}

int ledger_read(struct store *s, long long seq, struct event *ev, struct rerr *e)
{
	char p[64], *buf;
	size_t len;
	int rc;

	ledger_log_path(p, sizeof p, seq);
	rc = store_get(s, p, &buf, &len, e);
	if (rc == 1)
		return rerr_set(e, RX_IO, "state/%s: missing from the log", p);
	if (rc < 0)
		return -1;
	rc = event_parse(ev, buf, len, p, e);
	if (rc < 0)
		e->code = RX_IO;
	free(buf);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(kv_get(a, "name") ?: "", kv_get(b, "name") ?: "");
}

int ledger_keys(struct store *s, struct kv **recs, size_t *n, struct rerr *e)
{
	int rc = store_read_records(s, "keys", recs, n, e);

	if (*n)
		qsort(*recs, *n, sizeof **recs, cmp_name);
	return rc;
}
