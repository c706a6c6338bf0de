/* price: the one price rule, for the quote, the free cars' list, the booking, the
 * payment and the receipt. Amounts stay below 2^53: a count is at most 13 months (366
 * nights) and a price at most LIMIT_PRICE_MAX. */
#include "price.h"
#include <stdio.h>

void price_effective(struct prices *out, const struct prices *p)
{
	out->rate = p->rate;
	out->weekly = p->weekly > 0 ? p->weekly : 7 * p->rate;
	out->monthly = p->monthly > 0 ? p->monthly : 4 * out->weekly + 2 * p->rate;
}

void price_stay(struct price_lines *out, const struct prices *p, long long nights)
{
	struct prices q;
	long long months = nights / 30, weeks = nights % 30 / 7, single = nights % 30 % 7;

	price_effective(&q, p);
	if (single * q.rate > q.weekly) /* the nights left over: one more week is cheaper */
		weeks++, single = 0;
	if (weeks * q.weekly + single * q.rate > q.monthly) /* and one more month */
		months++, weeks = 0, single = 0;
	out->count[UNIT_MONTH] = months;
	out->count[UNIT_WEEK] = weeks;
	out->count[UNIT_NIGHT] = single;
	out->price[UNIT_MONTH] = q.monthly;
	out->price[UNIT_WEEK] = q.weekly;
	out->price[UNIT_NIGHT] = q.rate;
	out->amount = months * q.monthly + weeks * q.weekly + single * q.rate;
}

int price_check(const struct prices *p, struct rerr *e)
{
	if (p->weekly > 7 * p->rate)
		return rerr_set(e, RX_DATA, "weekly price %lld exceeds 7 x the rate (%lld)", p->weekly,
				7 * p->rate);
	if (p->monthly > 30 * p->rate)
		return rerr_set(e, RX_DATA, "monthly price %lld exceeds 30 x the rate (%lld)", p->monthly,
				30 * p->rate);
	return 0;
}

void price_of_car(struct prices *out, const struct kv *car)
{
	out->rate = kv_num(car, "rate", 0);
	out->weekly = kv_num(car, "weekly", 0);
	out->monthly = kv_num(car, "monthly", 0);
}

const char *price_unit_name(enum price_unit u)
{
	static const char *const names[UNIT_COUNT] = {"month", "week", "night"};

	return names[u];
}
