/* price: the one price rule. Amounts stay below 2^53: a count is at most 13 months
 * (366 nights) and a price at most LIMIT_PRICE_MAX. */
#include "price.h"
#include "limit.h"
#include <stdio.h>

void price_effective(struct prices *out, const struct prices *p)
{
	out->rate = p->rate;
	out->weekly = p->weekly > 0 ? p->weekly : 7 * p->rate;
	out->monthly = p->monthly > 0 ? p->monthly : 4 * out->weekly + 2 * p->rate;
}

void price_lines(struct price_lines *out, const struct prices *p, long long nights)
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

void price_of_car(struct prices *out, const struct kv *car)
{
	out->rate = kv_num(car, "rate", 0);
	out->weekly = kv_num(car, "weekly", 0);
	out->monthly = kv_num(car, "monthly", 0);
}

int price_stay(const struct kv *car, long long nights, long long *amount, struct rerr *e)
{
	struct prices p;
	struct price_lines l;

	price_of_car(&p, car);
	/* A stored price out of the limits (a home from before them) is refused, not used. */
	if (limit_cost(p.rate, nights, amount, "rate", e) < 0)
		return -1;
	if (p.weekly < 0 || p.weekly > LIMIT_PRICE_MAX || p.monthly < 0 || p.monthly > LIMIT_PRICE_MAX)
		return rerr_set(e, RX_DATA, "a price of the car is beyond the limits");
	price_lines(&l, &p, nights);
	*amount = l.amount;
	return 0;
}

int price_check(long long rate, long long weekly, long long monthly, struct rerr *e)
{
	if (weekly > 7 * rate)
		return rerr_set(e, RX_DATA, "weekly %lld: more than 7 x the rate %lld", weekly, rate);
	if (monthly > 30 * rate)
		return rerr_set(e, RX_DATA, "monthly %lld: more than 30 x the rate %lld", monthly, rate);
	return 0;
}

const char *price_unit_name(enum price_unit u)
{
	static const char *const names[UNIT_COUNT] = {"month", "week", "night"};

	return names[u];
}
