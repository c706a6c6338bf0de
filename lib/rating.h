/* rating: one rating of 1 to 5 stars per returned reservation, by its owner. */
#ifndef RENTAL_RATING_H
#define RENTAL_RATING_H
#include "context.h"

/* The rule for rate: stars within the limits (limit_stars), the reservation RETURNED and
 * not yet rated. */
int rating_check(struct store *s, const char *res, const char *stars, struct rerr *e);
#endif
