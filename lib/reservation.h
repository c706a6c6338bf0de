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

/* The status a booking takes when an outcome of this kind concerns it, or NULL if the
 * outcome does not change a booking's status (the table of event types says). */
const char *booking_next(enum event_kind kind);
/* 1 if a booking in this status holds its nights (RESERVED or RENTED). */
int booking_holds(const char *status);
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
/* The rule for reserve cancel: the reservation is RESERVED. */
int reservation_check_cancel(struct store *s, const char *res, struct rerr *e);
/* The reservation as the reservation context knows it. 0, 1 unknown, -1 error. */
int reservation_get(struct store *s, const char *res, struct kv *r, struct rerr *e);
#endif
