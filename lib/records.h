/* records: where the records of the state lie in main's tree. The one module that
 * knows paths, shards and how records are grouped; the ledger and the contexts' rules
 * ask for records. Records read together are kept together: a car's held nights a
 * month to a record, a customer's bookings or page rows and a car's bookings a few
 * tables, not a file each, so a batch writes few objects an event. */
#ifndef RENTAL_RECORDS_H
#define RENTAL_RECORDS_H
#include "event.h"
#include "store.h"

/* The layout these paths make (the record `layout`): 10, which is 9 whose owner tables
 * split a leaf at a time (records.c); 9 is 8 whose log names the rules each event is
 * decided by (limit.h's RULES_VERSION), and 8 is 7 whose owner tables split a digit
 * deeper, whole, as they grow. A home of 7, 8 or 9 is run as it is (7's tables never
 * split, 8's and 9's split whole, 8's log names no rules, so its events are decided by
 * the rules before they were numbered), so that a replay makes it again as its batches
 * did, and the releases before can still run it and follow it, until `dispatcher
 * --upgrade` replays it into 10. A home of an older layout is read only by `dispatcher
 * --upgrade`, which replays its log (layout-free) into these. */
#define RECORDS_LAYOUT 10
#define RECORDS_LAYOUT_READ 7 /* the oldest layout this one reads as its own */

/* The layout of the state's records: the record `layout`'s version; 1 where there is
 * no such record in a home with a commit (the first release's), RECORDS_LAYOUT where
 * there is none and no commit yet (a new home); -1 and RX_IO where it does not read or
 * its version is no whole number from 1 (damaged). */
int rec_layout(struct store *s, struct rerr *e);
/* Whether a home of layout v is read as this release's own (RECORDS_LAYOUT_READ to
 * RECORDS_LAYOUT: 7, 8 and 9 too). */
int rec_layout_own(int v);
/* The rules the events admitted into s next are decided by: RULES_VERSION in a home
 * of layout 9 or 10, 0 in one of 7 or 8 (whose log names none: see RECORDS_LAYOUT); -1 and
 * e if the layout does not read. */
int rec_rules(struct store *s, struct rerr *e);
/* Names layout v (one this release reads as its own) in the layout record. */
void rec_set_layout(struct store *s, int v);
/* 0 if the state is in a layout this release reads as its own; else RX_CONFIG (another
 * layout) or RX_IO (a record that does not read), and what to do. */
int rec_check_layout(struct store *s, struct rerr *e);
/* The top entries of a state's tree in every layout, which releases before layout 5
 * kept checked out beside state/.git (NULL-ended). */
extern const char *const rec_checked_out[];

/* ---- the ledger ---- */
long long rec_log_head(struct store *s, struct rerr *e);
void rec_set_log_head(struct store *s, long long seq);
/* The logged event at seq: its bytes, the UTC day it was admitted on, and the rules it
 * was admitted under (0 when its line names none); RX_IO if they are no number, RX_CONFIG
 * if rules this release does not know (a newer one's). */
int rec_log(struct store *s, long long seq, char **buf, size_t *len, char admitted[11], int *rules,
	    struct rerr *e);
/* Logs the event at seq, admitted on the day admitted under rules, named in its line
 * unless 0 (rec_rules: a home of 7 or 8; or what a primary logged, for a replica). */
void rec_log_put(struct store *s, long long seq, const char *buf, size_t len, const char *admitted,
		 int rules);
/* An admitted id's entry: the event's bytes. 0, 1 if the id is unknown. */
int rec_id(struct store *s, const char *id, char **buf, size_t *len, struct rerr *e);
void rec_id_put(struct store *s, const char *id, const char *buf, size_t len);
int rec_key(struct store *s, const char *name, struct kv *key, struct rerr *e);
void rec_key_put(struct store *s, const struct kv *key);
int rec_keys(struct store *s, struct kv **recs, size_t *n, struct rerr *e);
/* A revoked key's record ("pubkey", and the "name" it was registered for), by its public
 * key (base64): 0, 1 if it was never revoked. Not a record of the ledger below: homes
 * whose keys were revoked before it was kept lack it until a rebuild, and a replica
 * takes older histories without it. */
int rec_revoked(struct store *s, const char *pubkey, struct kv *r, struct rerr *e);
void rec_revoked_put(struct store *s, const struct kv *r);
/* The records of the keys revoked for name. */
int rec_revoked_of(struct store *s, const char *name, struct kv **recs, size_t *n, struct rerr *e);
/* Whether path is a record of the ledger (the log, the id index, the keys): what a
 * replica makes again from the log to check a commit. Without log_entries, the log's
 * entries themselves are left out (its head is not). */
int rec_is_ledger(const char *path, int log_entries);

/* ---- every context ---- */
long long rec_cursor(struct store *s, int ctx, struct rerr *e);
void rec_set_cursor(struct store *s, int ctx, long long seq);

/* A context's record of one booking (its "reservation" field names it). */
int rec_booking(struct store *s, int ctx, const char *res, struct kv *r, struct rerr *e);
void rec_booking_put(struct store *s, int ctx, const struct kv *r);
int rec_bookings(struct store *s, int ctx, struct kv **recs, size_t *n, struct rerr *e);

/* A context's record of one car (its "car" field names it). */
int rec_car(struct store *s, int ctx, const char *car, struct kv *c, struct rerr *e);
void rec_car_put(struct store *s, int ctx, const struct kv *c);
void rec_car_del(struct store *s, int ctx, const char *car);
int rec_cars(struct store *s, int ctx, struct kv **recs, size_t *n, struct rerr *e);

/* Rows a context keeps under a car or a customer, one a booking or a block (the row's
 * "reservation" field): a car's bookings, a customer's bookings, a customer's page. */
enum rec_owner { OWNER_CAR, OWNER_CUSTOMER };
int rec_row(struct store *s, int ctx, enum rec_owner kind, const char *owner, const char *res,
	    struct kv *row, struct rerr *e);
void rec_row_put(struct store *s, int ctx, enum rec_owner kind, const char *owner,
		 const struct kv *row);
void rec_row_del(struct store *s, int ctx, enum rec_owner kind, const char *owner, const char *res);
/* Takes all of an owner's rows out: each leaf of its table whole (deleting row by row
 * would rewrite a leaf for each of its rows). */
int rec_rows_drop(struct store *s, int ctx, enum rec_owner kind, const char *owner, struct rerr *e);
int rec_rows(struct store *s, int ctx, enum rec_owner kind, const char *owner, struct kv **rows,
	     size_t *n, struct rerr *e);

/* ---- held nights: who holds each night of a car (day numbers from 1970-01-01) ---- */
/* The first night of [from, to) held, its day and holder: 1, or 0 if all are free. */
int rec_first_held(struct store *s, const char *car, long from, long to, long *day,
		   char holder[ID_LEN], struct rerr *e);
/* Holds [from, to) for holder, or frees the nights holder holds there (holder NULL
 * frees them whoever holds them). */
int rec_hold(struct store *s, const char *car, long from, long to, const char *holder,
	     struct rerr *e);
int rec_free(struct store *s, const char *car, long from, long to, const char *holder,
	     struct rerr *e);
/* The holders of the days of one month (holders[d - 1], "" when free). */
int rec_month(struct store *s, const char *car, int year, int month, char holders[31][ID_LEN],
	      struct rerr *e);

/* ---- a car's agenda: a row for each booking or block that holds its nights now ---- */
/* (the row's "reservation" field names it), so that what a car's desk needs (pickups,
 * returns, the month's grid, the calendar) costs what the car holds, not its history. */
int rec_agenda(struct store *s, const char *car, struct kv **rows, size_t *n, struct rerr *e);
void rec_agenda_put(struct store *s, const char *car, const struct kv *row);
void rec_agenda_del(struct store *s, const char *car, const char *id);
/* Calls fn for the agenda of every car that holds anything, as committed (not a batch's
 * changes), by path; stops at an error.
 * The rows are fn's to read, not to keep. */
typedef int rec_agenda_fn(const char *car, struct kv *rows, size_t n, void *arg, struct rerr *e);
int rec_agendas(struct store *s, rec_agenda_fn *fn, void *arg, struct rerr *e);

/* ---- blocks: a car's nights taken out of service (the record's "block" names it) ---- */
int rec_block(struct store *s, const char *blk, struct kv *b, struct rerr *e);
void rec_block_put(struct store *s, const struct kv *b);

/* ---- a car's reviews, as the rows are given (management keeps them newest first) ---- */
int rec_reviews(struct store *s, const char *car, struct kv **rows, size_t *n, struct rerr *e);
/* Replaces them; n 0 removes the record. */
void rec_reviews_put(struct store *s, const char *car, const struct kv *rows, size_t n);

/* ---- the report: what management sums of a car's bookings by the month of their from ---- */
/* A car's month (YYYY-MM): its "car", the nights of the month its paid bookings use
 * ("used"), and an entry for each paid booking whose from is in it. */
int rec_car_month(struct store *s, const char *car, const char *month, struct kv *r,
		  struct rerr *e);
void rec_car_month_put(struct store *s, const char *car, const char *month, const struct kv *r);
/* Every car's record of one month, as committed. */
int rec_month_cars(struct store *s, const char *month, struct kv **recs, size_t *n,
		   struct rerr *e);
/* A car's registrations ("car", and "dates": the days it was added and removed, in
 * turn), kept after it is removed; and every car's. */
int rec_fleet_car(struct store *s, const char *car, struct kv *f, struct rerr *e);
void rec_fleet_car_put(struct store *s, const struct kv *f);
int rec_fleet(struct store *s, struct kv **recs, size_t *n, struct rerr *e);
#endif
