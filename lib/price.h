/* price: what a stay of a car costs, from the car's prices (rate, weekly, monthly). */
#ifndef RENTAL_PRICE_H
#define RENTAL_PRICE_H
#include "kv.h"

/* The price of a stay of nights on car (a record with its "rate" and, when set,
 * "weekly" and "monthly"): for now rate x nights. RX_DATA if the rate or the nights are
 * beyond the limits. */
int price_stay(const struct kv *car, long long nights, long long *amount, struct rerr *e);
/* The rule on a car's prices after carctl add or set: weekly at most 7 x rate, monthly
 * at most 30 x rate (RX_DATA otherwise). Each value is within the limits already. */
int price_check(long long rate, long long weekly, long long monthly, struct rerr *e);
#endif
