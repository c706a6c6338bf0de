/* management: the fleet: cars, their rates, status and stars. */
#ifndef RENTAL_MANAGEMENT_H
#define RENTAL_MANAGEMENT_H
#include "context.h"

/* The rule for carctl add: a valid id not yet registered, a rate and a model within the
 * limits. */
int management_check_add(struct store *s, const char *car, const char *rate, const char *model,
			 struct rerr *e);
/* The rule for carctl rm: the car exists and holds no RESERVED or RENTED booking. */
int management_check_rm(struct store *s, const char *car, struct rerr *e);
/* The car as management knows it, with status and stars derived. */
int management_car(struct store *s, const char *car, struct kv *c, struct rerr *e);
/* Every car with status and stars derived, by id. */
int management_list(struct store *s, struct kv **recs, size_t *n, struct rerr *e);
/* The bookings of one car. */
int management_bookings(struct store *s, const char *car, struct kv **recs, size_t *n,
			struct rerr *e);
#endif
