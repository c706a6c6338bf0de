/* rental: the cars out on the road, and their return. */
#ifndef RENTAL_RENTAL_H
#define RENTAL_RENTAL_H
#include "context.h"

/* The rule for rent return: the reservation is RENTED in the rental context. */
int rental_check_return(struct store *s, const char *res, struct rerr *e);
int rental_get(struct store *s, const char *res, struct kv *r, struct rerr *e);
#endif
