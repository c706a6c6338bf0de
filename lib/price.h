/* price: what a stay costs (CONTRACT, "Prices"): whole months (30 nights) at the
 * monthly price, then whole weeks at the weekly price, then nights at the rate; the
 * nights left over billed as one more week where that is cheaper, then the weeks and
 * nights left over as one more month where that is cheaper. */
#ifndef RENTAL_PRICE_H
#define RENTAL_PRICE_H
#include "kv.h"

/* A car's prices: weekly and monthly 0 when unset. */
struct prices {
	long long rate, weekly, monthly;
};

enum price_unit { UNIT_MONTH, UNIT_WEEK, UNIT_NIGHT, UNIT_COUNT };

/* How a stay was priced: a count and a price for each unit. */
struct price_lines {
	long long count[UNIT_COUNT], price[UNIT_COUNT];
	long long amount; /* their sum */
};

/* The prices in effect: an unset weekly price is 7 x rate, an unset monthly price
 * what 30 nights cost in weeks and nights (4 weekly prices and 2 nights). */
void price_effective(struct prices *out, const struct prices *p);
/* The price of a stay of nights (1..LIMIT_NIGHTS_MAX) at prices p (within the limits). */
void price_stay(struct price_lines *out, const struct prices *p, long long nights);
/* 0, or RX_DATA when the weekly price exceeds 7 x rate or the monthly 30 x rate. */
int price_check(const struct prices *p, struct rerr *e);
/* The prices a car's record holds (rate, weekly, monthly). */
void price_of_car(struct prices *out, const struct kv *car);
const char *price_unit_name(enum price_unit u);
#endif
