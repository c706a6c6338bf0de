/* rental: the cars out on the road, and their return. */
#ifndef RENTAL_RENTAL_H
#define RENTAL_RENTAL_H
#include "context.h"

/* The rule for rent return on today: the reservation is RENTED in the rental context
 * and its stay has begun (from is not after today). today NULL: a return logged by a
 * release before the log kept the day of admission, decided as it was then, without
 * the second part. */
int rental_check_return(struct store *s, const char *res, const char *today, struct rerr *e);
int rental_get(struct store *s, const char *res, struct kv *r, struct rerr *e);
#endif
