/* price: the one place a stay is priced. */
#include "price.h"
#include "limit.h"

int price_stay(const struct kv *car, long long nights, long long *amount, struct rerr *e)
{
	return limit_cost(kv_num(car, "rate", 0), nights, amount, "rate", e);
}

int price_check(long long rate, long long weekly, long long monthly, struct rerr *e)
{
	if (weekly > 7 * rate)
		return rerr_set(e, RX_DATA, "weekly %lld: more than 7 x the rate %lld", weekly, rate);
	if (monthly > 30 * rate)
		return rerr_set(e, RX_DATA, "monthly %lld: more than 30 x the rate %lld", monthly, rate);
	return 0;
}
