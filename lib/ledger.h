/* ledger: the log of accepted events and who may write them: the key registry, the
 * owners of reservations, the index of applied ids. It admits events into the log. */
#ifndef RENTAL_LEDGER_H
#define RENTAL_LEDGER_H
#include "event.h"
#include "store.h"

/* The log's last sequence number (0 if empty). */
long long ledger_head(struct store *s, struct rerr *e);
/* 1 if the id is in the log, 0 if not, -1 on error. */
int ledger_seen(struct store *s, const char *id, struct rerr *e);
/* The logged bytes of the event id (*buf malloc'd): 0, 1 if it is not in the log. */
int ledger_logged(struct store *s, const char *id, char **buf, size_t *len, struct rerr *e);
/* Checks who wrote the event: a registered key, not revoked, whose role allows the
 * type, a good signature, and (for a reservation) the signer owns it or is admin. What
 * a replica checks of each logged event: the rules below are the primary's to decide,
 * and may differ between the releases that wrote a history. The reason is RX_PERM or
 * RX_DATA with a message for the .reason file. */
int ledger_authenticate(struct store *s, const struct event *ev, struct rerr *e);
/* Checks that the event may enter the log: ledger_authenticate, then the rules of the
 * key registry (ledger_check_key_add, ledger_check_key_rm). */
int ledger_admit(struct store *s, const struct event *ev, struct rerr *e);
/* The signer's part of admission, for a key of role pk: ev is signed by it, and the
 * role may write ev's type (no one spools the dispatcher's own). 0, or -1 (RX_PERM). */
int ledger_check_signer(const struct event *ev, const unsigned char pk[crypto_sign_PUBLICKEYBYTES],
			int role, struct rerr *e);
/* The key ev's signer has now: 0, or 1 if it has none (admission decides). The store
 * is read on the calling thread only; the verdict against the key can then be reached
 * on another (event_preverify), for ledger_admit to take later while the key holds. */
int ledger_signer_key(struct store *s, const struct event *ev,
		      unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
/* Appends an event admitted on the day admitted (YYYY-MM-DD) under rules (limit.h's
 * RULES_VERSION, or what the primary logged): log entry, id index, head, and the
 * registry changes that admission of later events depends on (keys). */
int ledger_append(struct store *s, const struct event *ev, const char *admitted, int rules,
		  long long *seq, struct rerr *e);
/* Registers what admission needs from one logged event (keys, owners, ids). */
int ledger_index(struct store *s, const struct event *ev, long long seq, struct rerr *e);
/* Reads the logged event at seq, with the day it was admitted. */
int ledger_read(struct store *s, long long seq, struct event *ev, struct rerr *e);

/* A registered key: fills name, role, pubkey, and revoked ("true") once revoked.
 * 0 found, 1 unknown. */
int ledger_key(struct store *s, const char *name, struct kv *key, struct rerr *e);
/* 1 if the key record is revoked. */
int ledger_revoked(const struct kv *key);
/* Whether name's key record may sign: 0; -1 with RX_PERM if it is revoked, or is a key
 * revoked under another name that held it too. */
int ledger_key_usable(struct store *s, const char *name, const struct kv *key, struct rerr *e);
/* The rule for key add: name is not registered, or its key is revoked; and pubkey was
 * never revoked (under any name). */
int ledger_check_key_add(struct store *s, const char *name, const char *pubkey, struct rerr *e);
/* Admins whose revocation is written but not yet applied (a command's view; the
 * dispatcher's is the log alone: NULL). */
struct key_rm_going {
	int (*fn)(const char *name, void *arg);
	void *arg;
};
/* The rule for key rm: name is registered and not revoked, not the dispatcher's key
 * (role system), and not the last admin's; RX_TEMP if it is once the admins going are
 * gone. */
int ledger_check_key_rm(struct store *s, const char *name, const struct key_rm_going *going,
			struct rerr *e);
/* The customer who made reservation res. 0 found (owner filled), 1 unknown. */
int ledger_owner(struct store *s, const char *res, char owner[40], struct rerr *e);
/* Every registered key (name, role, pubkey, revoked), by name. */
int ledger_keys(struct store *s, struct kv **recs, size_t *n, struct rerr *e);
#endif
