/* ledger: the log of accepted events and who may write them: the key registry, the
 * owners of reservations (a booking's id entry is the event its customer signed), the
 * index of applied ids. It admits events into the log. */
#include "ledger.h"
#include "records.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long ledger_head(struct store *s, struct rerr *e)
{
	return rec_log_head(s, e);
}

int ledger_seen(struct store *s, const char *id, struct rerr *e)
{
	char *buf;
	int rc = rec_id(s, id, &buf, NULL, e);

	if (rc == 0)
		free(buf);
	return rc < 0 ? -1 : rc == 0;
}

int ledger_logged(struct store *s, const char *id, char **buf, size_t *len, struct rerr *e)
{
	return rec_id(s, id, buf, len, e);
}

int ledger_key(struct store *s, const char *name, struct kv *key, struct rerr *e)
{
	return rec_key(s, name, key, e);
}

int ledger_revoked(const struct kv *key)
{
	const char *r = kv_get(key, "revoked");

	return r && strcmp(r, "true") == 0;
}

/* Whether key (a name's record) is revoked: its own revocation, or its key revoked
 * under another name that held it too. 1, 0, or -1. */
static int key_revoked(struct store *s, const struct kv *key, struct rerr *e)
{
	struct kv was;
	int rc;

	if (ledger_revoked(key))
		return 1;
	if ((rc = rec_revoked(s, kv_get(key, "pubkey") ?: "", &was, e)) == 0)
		kv_free(&was);
	return rc < 0 ? -1 : rc == 0;
}

int ledger_key_usable(struct store *s, const char *name, const struct kv *key, struct rerr *e)
{
	struct kv was;
	int rc;

	if (ledger_revoked(key))
		return rerr_set(e, RX_PERM, "key revoked: '%s'", name);
	/* the same key revoked under another name that held it too */
	if ((rc = rec_revoked(s, kv_get(key, "pubkey") ?: "", &was, e)) != 0)
		return rc < 0 ? -1 : 0;
	rerr_set(e, RX_PERM, "key revoked: '%s' (its key was revoked for '%s')", name,
		 kv_get(&was, "name") ?: "?");
	kv_free(&was);
	return -1;
}

int ledger_check_key_add(struct store *s, const char *name, const char *pubkey, struct rerr *e)
{
	struct kv key, was = {0};
	int rc = ledger_key(s, name, &key, e), revoked = rc == 0 ? key_revoked(s, &key, e) : 0;
	/* A key revoked stays refused, as the index of revoked keys has it (a revocation
	 * older than the index is in it once a rebuild has made it: a replica re-checking
	 * an older history admits what its primary admitted then). */
	int indexed = rc < 0 || revoked < 0 ? -1 : rec_revoked(s, pubkey, &was, e);

	if (rc == 0 && !revoked)
		rc = rerr_set(e, RX_REFUSED, "key '%s' is registered already", name);
	else if (rc >= 0 && indexed == 0)
		rc = rerr_set(e, RX_REFUSED, "key '%s': its public key was revoked (for '%s'); a revoked "
			      "key stays refused: register a new one", name, kv_get(&was, "name") ?: "?");
	kv_free(&key);
	kv_free(&was);
	return rc < 0 || indexed < 0 ? -1 : 0;
}

/* Whether key record k goes with the revocations written (going: by name): its own,
 * or one of another name that holds the same key (a revocation is of a key). */
static int key_going(const struct kv *k, const struct kv *keys, size_t n,
		     const struct key_rm_going *going)
{
	const char *pk = kv_get(k, "pubkey") ?: "";

	for (size_t i = 0; going && i < n; i++)
		if (strcmp(kv_get(&keys[i], "pubkey") ?: "", pk) == 0 &&
		    going->fn(kv_get(&keys[i], "name") ?: "", going->arg))
			return 1;
	return 0;
}

/* What revoking name's key, pubkey, leaves: whether another name holding it too is the
 * dispatcher (*dispatcher), and whether an admin other than name holds a key that is
 * neither that one nor revoked (under any name): 1 if one does, 2 if only admins
 * going (key_going: revoked by an event not yet applied) do, 0, -1. The keys are those
 * of the last commit, as this batch changed them: one registered in this very batch
 * is not counted, so the answer errs on the side of keeping an admin. */
static int admin_left(struct store *s, const char *name, const char *pubkey, int *dispatcher,
		      const struct key_rm_going *going, struct rerr *e)
{
	struct kv *keys;
	size_t n;
	int found = 0, rc = 0;

	*dispatcher = 0;
	if (rec_keys(s, &keys, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const char *pk = kv_get(&keys[i], "pubkey") ?: "", *role = kv_get(&keys[i], "role") ?: "";
		int same = strcmp(pk, pubkey) == 0;
		*dispatcher |= same && strcmp(role, "system") == 0;
		if (found == 1 || same || strcmp(role, "admin") != 0 || strcmp(kv_get(&keys[i], "name") ?: "", name) == 0)
			continue;
		if ((rc = key_revoked(s, &keys[i], e)) == 0)
			found = key_going(&keys[i], keys, n, going) ? 2 : 1;
	}
	store_records_free(keys, n);
	return rc < 0 ? -1 : found;
}

int ledger_check_key_rm(struct store *s, const char *name, const struct key_rm_going *going,
			struct rerr *e)
{
	struct kv key;
	int rc = ledger_key(s, name, &key, e), role, revoked, dispatcher = 0, left = 1;

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "key '%s' is not registered", name);
	role = role_parse(kv_get(&key, "role") ?: "");
	revoked = key_revoked(s, &key, e);
	/* A key revoked is revoked for every name that holds it. */
	if (revoked == 0 && role != ROLE_SYSTEM)
		left = admin_left(s, name, kv_get(&key, "pubkey") ?: "", &dispatcher, going, e);
	kv_free(&key);
	if (left < 0 || revoked < 0)
		return -1;
	if (revoked)
		return rerr_set(e, RX_REFUSED, "key '%s' is revoked already", name);
	if (role == ROLE_SYSTEM || dispatcher)
		return rerr_set(e, RX_REFUSED, "key '%s' is the dispatcher's; it cannot be revoked", name);
	if (!left)
		return rerr_set(e, RX_REFUSED, "key '%s' is the last admin's%s; register another admin "
				"first", name, role == ROLE_ADMIN ? "" : " (an admin holds it too)");
	if (left == 2)
		return rerr_set(e, RX_TEMP, "key '%s' is the last admin's once the revocation that waits "
				"in the spool is applied: try again later", name);
	return 0;
}

int ledger_owner(struct store *s, const char *res, char owner[40], struct rerr *e)
{
	struct event ev;
	char *buf;
	size_t len;
	int rc;

	owner[0] = '\0';
	if (!valid_id(res, "res"))
		return 1;
	if ((rc = rec_id(s, res, &buf, &len, e)) != 0)
		return rc;
	/* The id's entry is the reservation itself: its signer is the customer. Its signed
	 * body is parsed, as when it was admitted (the whole file, signature line and all,
	 * need not be one YAML mapping: a body may end with a document end marker). */
	rc = event_parse_logged(&ev, buf, len, res, e);
	if (rc == 0)
		snprintf(owner, 40, "%s", kv_get(&ev.f, "actor") ? kv_get(&ev.f, "actor") : "");
	else
		e->code = RX_IO;
	event_free(&ev);
	free(buf);
	return rc;
}

/* The first admin key may sign its own registration, when no key exists yet. */
static int genesis(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *actor = kv_get(&ev->f, "actor");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	long long head = ledger_head(s, e);

	if (head != 0 || event_kind_of(ev) != EV_KEY_ADD ||
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

/* Whether ev, whose signature its actor's key refuses, is signed with a key revoked
 * for that name before: an event signed before the name got a new key. */
static int signed_by_revoked(struct store *s, const struct event *ev, const char *actor)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct rerr e = {0};
	struct kv *recs;
	size_t n;
	int found = 0;

	if (rec_revoked_of(s, actor, &recs, &n, &e) < 0)
		return 0; /* said as what it is: a bad signature */
	for (size_t i = 0; i < n && !found; i++)
		found = sig_pk_decode(pk, kv_get(&recs[i], "pubkey") ?: "") == 0 &&
			sig_verify(pk, ev->raw, ev->body_len, ev->sig);
	store_records_free(recs, n);
	return found;
}

int ledger_authenticate(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *actor = kv_get(&ev->f, "actor");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct kv key;
	int rc, role;

	rc = ledger_key(s, actor, &key, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return genesis(s, ev, e) ? 0 : rerr_set(e, RX_PERM, "unknown key '%s'", actor);
	if (ledger_key_usable(s, actor, &key, e) < 0) {
		kv_free(&key);
		return -1;
	}
	role = role_parse(kv_get(&key, "role") ? kv_get(&key, "role") : "");
	rc = sig_pk_decode(pk, kv_get(&key, "pubkey") ? kv_get(&key, "pubkey") : "");
	kv_free(&key);
	if (rc < 0)
		return rerr_set(e, RX_IO, "state: key '%s' is corrupt", actor);
	if (ledger_check_signer(ev, pk, role, e) < 0) {
		/* (the verdict is the verification pool's: no second verification) */
		if (!event_verify(ev, pk) && signed_by_revoked(s, ev, actor))
			rerr_set(e, RX_PERM, "key revoked: '%s' (a key it had before)", actor);
		return -1;
	}
	return check_owner(s, ev, role, e);
}

int ledger_admit(struct store *s, const struct event *ev, struct rerr *e)
{
	if (ledger_authenticate(s, ev, e) < 0)
		return -1;
	if (event_kind_of(ev) == EV_KEY_ADD)
		return ledger_check_key_add(s, kv_get(&ev->f, "name"), kv_get(&ev->f, "pubkey"), e);
	if (event_kind_of(ev) == EV_KEY_RM)
		return ledger_check_key_rm(s, kv_get(&ev->f, "name"), NULL, e);
	return 0;
}

int ledger_signer_key(struct store *s, const struct event *ev,
		      unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	struct rerr e = {0};
	struct kv key;
	int rc;

	if (ledger_key(s, kv_get(&ev->f, "actor"), &key, &e) != 0)
		return 1; /* no key yet: admission decides (genesis, or unknown) */
	rc = sig_pk_decode(pk, kv_get(&key, "pubkey") ? kv_get(&key, "pubkey") : "") == 0 ? 0 : 1;
	kv_free(&key);
	return rc;
}

int ledger_index(struct store *s, const struct event *ev, long long seq, struct rerr *e)
{
	struct kv m;

	rec_set_log_head(s, seq);
	rec_id_put(s, kv_get(&ev->f, "id"), ev->raw, ev->len);
	if (event_kind_of(ev) == EV_KEY_ADD) {
		kv_init(&m);
		kv_set(&m, "name", kv_get(&ev->f, "name"));
		kv_set(&m, "role", kv_get(&ev->f, "role"));
		kv_set(&m, "pubkey", kv_get(&ev->f, "pubkey"));
		rec_key_put(s, &m);
		kv_free(&m);
	}
	if (event_kind_of(ev) == EV_KEY_RM) {
		int rc = ledger_key(s, kv_get(&ev->f, "name"), &m, e);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			kv_set(&m, "revoked", "true");
			rec_key_put(s, &m);
			struct kv r;
			kv_init(&r);
			kv_set(&r, "name", kv_get(&m, "name"));
			kv_set(&r, "pubkey", kv_get(&m, "pubkey") ?: "");
			rec_revoked_put(s, &r);
			kv_free(&r);
		}
		kv_free(&m);
	}
	return 0;
}

int ledger_append(struct store *s, const struct event *ev, const char *admitted, int rules,
		  long long *seq, struct rerr *e)
{
	long long head = ledger_head(s, e);

	if (head < 0)
		return -1;
	*seq = head + 1;
	rec_log_put(s, *seq, ev->raw, ev->len, admitted, rules);
	return ledger_index(s, ev, *seq, e);
}

int ledger_read(struct store *s, long long seq, struct event *ev, struct rerr *e)
{
	char *buf, what[40], admitted[11];
	size_t len;
	int rules, rc = rec_log(s, seq, &buf, &len, admitted, &rules, e);

	if (rc != 0)
		return -1;
	snprintf(what, sizeof what, "log entry %lld", seq);
	rc = event_parse_logged(ev, buf, len, what, e);
	if (rc < 0)
		e->code = RX_IO;
	else {
		memcpy(ev->admitted, admitted, sizeof admitted);
		ev->rules = rules;
	}
	free(buf);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(kv_get(a, "name") ?: "", kv_get(b, "name") ?: "");
}

int ledger_keys(struct store *s, struct kv **recs, size_t *n, struct rerr *e)
{
	int rc = rec_keys(s, recs, n, e);

	/* A key revoked under another name that held it too is revoked here as well. */
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		int got = key_revoked(s, &(*recs)[i], e);
		if (got == 1)
			kv_set(&(*recs)[i], "revoked", "true");
		rc = got < 0 ? -1 : 0;
	}
	if (*n)
		qsort(*recs, *n, sizeof **recs, cmp_name);
	return rc;
}
