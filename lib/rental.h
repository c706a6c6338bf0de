/* rental: the cars out on the road, and their return. */
#ifndef RENTAL_RENTAL_H
#define RENTAL_RENTAL_H
#include "context.h"
#include "price.h"

/* The rule for rent return on today: the reservation is RENTED in the rental context
 * and its stay has begun (from is not after today). today NULL: a return logged by a
 * release before the log kept the day of admission, decided as it was then, without
 * the second part. */
int rental_check_return(struct store *s, const char *res, const char *today, struct rerr *e);
/* What a return on today owes for the nights after the booking r's to: late nights
 * (today - to, at most LIMIT_NIGHTS_MAX) x the car's late fee, or its rate where it
 * has none, as the rental context knows the car now; 0 when on time, or for a car it
 * does not know. */
int rental_late_fee(struct store *s, const struct kv *r, const char *today, long long *fee,
		    struct rerr *e);
/* The receipt of the paid booking res (RENTED, RETURNED or PAYMENT_CANCELED; else
 * RX_REFUSED): its fields (receipt, reservation, customer, car, model, from, to,
 * nights, amount, late_fee, refund, total, paid, status) into out and the lines it was
 * priced by into l. A read: the lines are the reservation context's and the model the
 * management context's. */
int rental_receipt(struct store *s, const char *res, struct kv *out, struct price_lines *l,
		   struct rerr *e);
int rental_get(struct store *s, const char *res, struct kv *r, struct rerr *e);
#endif
