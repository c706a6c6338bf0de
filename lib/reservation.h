/* reservation: bookings of cars for nights; owns the life cycle of a reservation. */
#ifndef RENTAL_RESERVATION_H
#define RENTAL_RESERVATION_H
#include "context.h"

/* The statuses, spelled once. */
#define ST_RESERVED "RESERVED"
#define ST_RENTED "RENTED"
#define ST_RETURNED "RETURNED"
#define ST_RES_CANCELED "RESERVATION_CANCELED"
#define ST_PAY_CANCELED "PAYMENT_CANCELED"
#define ST_REJECTED "REJECTED"
#define ST_AVAILABLE "AVAILABLE"
#define ST_BLOCKED "BLOCKED"     /* a block in force */
#define ST_UNBLOCKED "UNBLOCKED" /* a block ended */

/* The status a booking takes when an outcome of this kind concerns it, or NULL if the
 * outcome does not change a booking's status (the table of event types says). */
const char *booking_next(enum event_kind kind);
/* 1 if a booking in this status holds its nights (RESERVED or RENTED). */
int booking_holds(const char *status);
/* 1 if a booking in status now (a context's record of it; "" for one it has no
 * status for yet) takes next from another context's outcome: the steps of its life
 * (RESERVED to RENTED to RETURNED; RESERVED to RESERVATION_CANCELED; RENTED to
 * PAYMENT_CANCELED) and the refunds that settle two decisions taken apart (a payment
 * refunded after the booking was canceled, or after the car was returned). Contexts
 * decide apart, so an outcome may come after another that ruled it out (a payment
 * accepted for a booking canceled in the same batch): it is passed over, and the
 * context whose decision lost settles it (payment refunds), so that every context
 * ends with the same status. */
int booking_may_become(const char *now, const char *next);
/* Moves context ctx's record of the booking res to status if booking_may_become lets
 * it, saving it with save; nothing if ctx has no record of it. */
int booking_follow(struct store *s, int ctx, const char *res, const char *status,
		   void (*save)(struct store *s, const struct kv *r), struct rerr *e);
/* A car's status from how many of its bookings are RENTED and RESERVED. */
const char *car_status(long long rented, long long reserved);

/* The part of the rule for a new booking that needs no state: a stay booked on today
 * within the limits (limit_stay), car a valid name. */
int reservation_check_request(const char *car, const char *from, const char *to, const char *today,
			      struct rerr *e);
/* The rule for a new booking, against the applied state: reservation_check_request,
 * the car is known, and no held night overlaps. Fills nights and amount. */
int reservation_check_new(struct store *s, const char *car, const char *from, const char *to,
			  const char *today, long long *nights, long long *amount, struct rerr *e);
/* The cars free on every night of a stay [from, to) (dates in order) as the
 * reservation context knows them, each with what the stay costs ("amount"), in car
 * order; cars it cannot price are left out. Caller frees with store_records_free. */
int reservation_free_cars(struct store *s, const char *from, const char *to, struct kv **cars,
			  size_t *n, struct rerr *e);
/* The rule for carctl block: a stay booked on today (limit_stay) of a known car, no
 * night of it held (RX_REFUSED naming what holds one). */
int reservation_check_block(struct store *s, const char *car, const char *from, const char *to,
			    const char *today, struct rerr *e);
/* The rule for carctl unblock: the block is known and in force. */
int reservation_check_unblock(struct store *s, const char *blk, struct rerr *e);
int reservation_block(struct store *s, const char *blk, struct kv *b, struct rerr *e);
/* What holds the nights of car now: a row each booking (RESERVED or RENTED) or block
 * (BLOCKED), with reservation (its id), customer (none for a block), from, to, status,
 * and a block's reason if it has one; sorted by from. */
int reservation_agenda(struct store *s, const char *car, struct kv **rows, size_t *n,
		       struct rerr *e);
/* The agenda rows of the cars named (every car's when ncars is 0), each with its "car",
 * sorted by car, then from. */
int reservation_holds(struct store *s, char *const *cars, size_t ncars, struct kv **recs,
		      size_t *n, struct rerr *e);
/* The status of each night of a month of car (days[d - 1] for the night that starts
 * on day d: ST_RESERVED, ST_RENTED, ST_BLOCKED, or NULL when free). */
int reservation_month(struct store *s, const char *car, int year, int month,
		      const char *days[31], struct rerr *e);
/* What happens on day: a record per booking with kind "pickup" (RESERVED or RENTED,
 * starting on day), "return" (RENTED, ending on day), "overdue" (RENTED, ending
 * before day) or "no-show" (RESERVED, ending before day: it can no longer be paid and
 * holds its car until canceled), reservation, car, customer, from, to, status;
 * customer's own only unless customer is NULL. Sorted by kind in that order, then car
 * and from. */
int reservation_due(struct store *s, const char *day, const char *customer, struct kv **recs,
		    size_t *n, struct rerr *e);
/* The rule for reserve cancel: the reservation is RESERVED. */
int reservation_check_cancel(struct store *s, const char *res, struct rerr *e);
/* The reservation as the reservation context knows it. 0, 1 unknown, -1 error. */
int reservation_get(struct store *s, const char *res, struct kv *r, struct rerr *e);
#endif
