/* price: what a stay costs (CONTRACT, "Prices"): whole months (30 nights) at the
 * monthly price, then whole weeks at the weekly price, then nights at the rate; the
 * nights left over billed as one more week where that is cheaper, then the weeks and
 * nights left over as one more month where that is cheaper. One rule, for the quote,
 * the free cars' list, the booking, the payment and the receipt. */
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
/* How a stay of nights (1..LIMIT_NIGHTS_MAX) at prices p (within the limits) is priced. */
void price_lines(struct price_lines *out, const struct prices *p, long long nights);
/* The prices a car's record holds (rate, and weekly and monthly when set). */
void price_of_car(struct prices *out, const struct kv *car);
/* The price of a stay of nights on car (a record with its prices): RX_DATA if a price
 * or the nights are beyond the limits. */
int price_stay(const struct kv *car, long long nights, long long *amount, struct rerr *e);
/* The rule on a car's prices after carctl add or set: weekly at most 7 x rate, monthly
 * at most 30 x rate (RX_DATA otherwise). Each value is within the limits already. */
int price_check(long long rate, long long weekly, long long monthly, struct rerr *e);
const char *price_unit_name(enum price_unit u);
#endif
