/* event: the signed event file: a flat YAML mapping, then "signature: BASE64". */
#ifndef RENTAL_EVENT_H
#define RENTAL_EVENT_H
#include "kv.h"
#include "sign.h"

#define EVENT_MAX 4096 /* bytes; a larger file in the spool is quarantined */
#define ID_LEN 21      /* "abc-" + 16 hex + NUL */

enum role { ROLE_ADMIN = 1, ROLE_CUSTOMER = 2, ROLE_SYSTEM = 4 };

struct event {
	struct kv f;      /* the fields, signature excluded */
	char *raw;        /* every byte of the file */
	size_t len;
	size_t body_len;  /* bytes covered by the signature */
	const char *sig;  /* into raw: the base64 signature (NUL-terminated copy) */
	char sigbuf[SIG_B64];
	/* A verdict on the signature reached ahead of admission (on another core), for
	 * key vpk: 1 good, -1 bad, 0 none. event_verify uses it for that key only. */
	int verdict;
	unsigned char vpk[crypto_sign_PUBLICKEYBYTES];
	/* For an event read from the log: the UTC day the dispatcher admitted it, the
	 * "today" of the rules ("" for one not from the log), and the rules it is decided
	 * by (RULES_VERSION of the release that admitted it; 0 before they were numbered). */
	char admitted[11];
	int rules;
};

/* The event types. Those written by people come first; the outcomes are what a
 * context decided, signed by the dispatcher's key. */
enum event_kind {
	EV_KEY_ADD, EV_KEY_RM, EV_CAR_ADD, EV_CAR_SET, EV_CAR_RM, EV_CAR_BLOCK, EV_CAR_UNBLOCK,
	EV_RESERVE, EV_RESERVE_CANCEL, EV_PAY, EV_PAY_CANCEL, EV_RENT_RETURN, EV_RATE,
	EV_CAR_REGISTERED, EV_CAR_CHANGED, EV_CAR_REMOVED, EV_BLOCK_ACCEPTED, EV_BLOCK_REJECTED,
	EV_BLOCK_ENDED, EV_RES_ACCEPTED, EV_RES_REJECTED, EV_RES_CANCELED,
	EV_PAY_ACCEPTED, EV_PAY_CANCELED, EV_RENTAL_RETURNED, EV_RATING_ACCEPTED, EV_REFUSED,
	EV_COUNT
};

/* One row of the table of event types: what it may carry, who may sign it, the status
 * it gives a booking, and the contexts that follow it (apply it). */
struct event_type {
	enum event_kind kind;
	const char *type;
	const char *prefix;   /* of its id */
	unsigned roles;       /* bit set of enum role */
	const char *status;   /* the booking's status once this outcome is logged, or NULL */
	unsigned followers;   /* bit set of 1 << CTX_... */
	const char *need[6];  /* required fields beyond id, type, time, actor */
	const char *may[6];   /* optional fields */
};

const struct event_type *event_type_find(const char *type);
/* The row of kind, and the row of an event (parsed events have a known type). */
const struct event_type *event_type_of(enum event_kind kind);
const struct event_type *event_type_get(const struct event *ev);
/* The kind of an event; EV_COUNT for a type not in the table. */
enum event_kind event_kind_of(const struct event *ev);
int role_parse(const char *s);      /* enum role, or 0 */
const char *role_name(int role);

void event_init(struct event *ev);
void event_free(struct event *ev);
/* A fresh random id PREFIX-<16 hex>. */
void event_new_id(char out[ID_LEN], const char *prefix);
/* The current UTC time, YYYY-MM-DDTHH:MM:SSZ. */
void event_now(char out[21]);
/* Fills id, type, time and actor; the caller adds the rest with kv_set. */
void event_start(struct event *ev, const char *type, const char *actor);
/* Serialises the fields and appends the signature by k. */
void event_seal(struct event *ev, const struct seckey *k);
/* Splits, parses and checks the shape of an event (not its signature). The event
 * takes a copy of buf. Errors are RX_DATA and name `what`. */
int event_parse(struct event *ev, const char *buf, size_t len, const char *what, struct rerr *e);
/* Checks every field against its type's schema, and a writer's values (not an
 * outcome's) against the limits (limit.h). */
int event_check_fields(const struct event *ev, struct rerr *e);
/* event_parse of an event read back from the log: its shape is checked, not its values
 * against the limits, which may have been other when it was admitted. */
int event_parse_logged(struct event *ev, const char *buf, size_t len, const char *what,
		       struct rerr *e);
/* 1 if ev is signed by pk's secret key (a verdict reached ahead for pk stands). */
int event_verify(const struct event *ev, const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
/* Verifies ev against pk now and keeps the verdict in ev, for event_verify later. */
void event_preverify(struct event *ev, const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
/* Deterministic id of the outcome a context derives from a source event: the source
 * id's shard digits, then a hash of it, the type and key (NULL but for one of several
 * outcomes of a type from one source). hashed_only gives the form of logs written
 * before 2026-11-25 (the hash alone), for --rebuild to find them there. */
void event_outcome_id(char out[ID_LEN], const char *source_id, const char *type, const char *key,
		      int hashed_only);
/* The outcome event a context's outbox item (its type and fields) makes of src, with
 * its derived id, src's time, actor dispatcher, not yet signed: event_seal signs it. */
void event_outcome_fields(struct event *out, const struct kv *item, const struct event *src,
			  int hashed_only);
/* The outcome event a context's outbox item (its type and fields) makes of src, with
 * its derived id, src's time, actor dispatcher, signed with k (the dispatcher's key). */
void event_make_outcome(struct event *out, const struct kv *item, const struct event *src,
			const struct seckey *k, int hashed_only);
#endif
