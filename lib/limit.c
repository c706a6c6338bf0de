/* limits: the bounds of every value, and the one check of each. */
#include "limit.h"
#include <stdio.h>
#include <string.h>

/* v (not negative) with a comma between groups of three digits, as messages show bounds. */
static const char *grouped(char out[32], long long v)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%lld", v), j = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	return out;
}

/* A whole number s from lo (1 or more) to max, written plainly (no leading zero), into
 * *out; else the message names what, s and the bounds. */
static int whole(const char *s, long long lo, long long max, long long *out, const char *what,
		 struct rerr *e)
{
	char a[32], b[32];
	long long v;

	if (s[0] == '0' || !parse_money(s, &v) || v < lo || v > max)
		return rerr_set(e, RX_DATA, "%s %.40s: not a whole number from %s to %s", what, s,
				grouped(a, lo), grouped(b, max));
	*out = v;
	return 0;
}

int limit_price(const char *s, long long *out, const char *what, struct rerr *e)
{
	return whole(s, 1, LIMIT_PRICE_MAX, out, what, e);
}

int limit_amount(const char *s, long long *out, const char *what, struct rerr *e)
{
	return whole(s, 1, LIMIT_AMOUNT_MAX, out, what, e);
}

int limit_cost(long long price, long long count, long long *out, const char *what,
	       struct rerr *e)
{
	char a[32];

	if (price < 1 || price > LIMIT_PRICE_MAX)
		return rerr_set(e, RX_DATA, "%s %lld: not a whole number from 1 to %s", what, price,
				grouped(a, LIMIT_PRICE_MAX));
	if (count < 0 || count > LIMIT_NIGHTS_MAX)
		return rerr_set(e, RX_DATA, "%lld nights: more than %d", count, LIMIT_NIGHTS_MAX);
	*out = price * count;
	return 0;
}

int limit_stars(const char *s, long long *out, struct rerr *e)
{
	return whole(s, 1, LIMIT_STARS_MAX, out, "stars", e);
}

int limit_text(const char *s, const char *allowed_ctl, const char *what, struct rerr *e)
{
	size_t n = strlen(s);

	if (n > LIMIT_TEXT_MAX)
		return rerr_set(e, RX_DATA, "%s: %zu bytes, longer than %d", what, n, LIMIT_TEXT_MAX);
	if (!valid_text(s, allowed_ctl))
		return rerr_set(e, RX_DATA, "%s: invalid UTF-8 or control characters", what);
	return 0;
}

int limit_input_text(const char *s, const char *allowed_ctl, const char *what, struct rerr *e)
{
	if (limit_text(s, allowed_ctl, what, e) < 0)
		return -1;
	if (text_has_unseen(s))
		return rerr_set(e, RX_DATA, "%s: invalid UTF-8 or control characters", what);
	return 0;
}

/* from and to are dates, to after from. */
static int ordered(const char *from, const char *to, struct rerr *e)
{
	if (!valid_date(from))
		return rerr_set(e, RX_DATA, "from %.40s: not a date (YYYY-MM-DD)", from);
	if (!valid_date(to))
		return rerr_set(e, RX_DATA, "to %.40s: not a date (YYYY-MM-DD)", to);
	if (date_days(to) <= date_days(from))
		return rerr_set(e, RX_DATA, "to %s: must be after from %s", to, from);
	return 0;
}

int limit_dates(const char *from, const char *to, struct rerr *e)
{
	long nights;

	if (ordered(from, to, e) < 0)
		return -1;
	nights = date_days(to) - date_days(from);
	if (nights > LIMIT_NIGHTS_MAX)
		return rerr_set(e, RX_DATA, "from %s to %s: %ld nights, a stay is 1 to %d nights",
				from, to, nights, LIMIT_NIGHTS_MAX);
	return 0;
}

int limit_stay(const char *from, const char *to, const char *today, struct rerr *e)
{
	int bounded = strcmp(today, LIMIT_STAY_SINCE) >= 0; /* else booked before the limits */
	char a[32];
	long ahead;

	if ((bounded ? limit_dates(from, to, e) : ordered(from, to, e)) < 0)
		return -1;
	ahead = date_days(from) - date_days(today);
	if (ahead < 0)
		return rerr_set(e, RX_DATA, "from %s: in the past (today is %s)", from, today);
	if (bounded && ahead > LIMIT_AHEAD_DAYS)
		return rerr_set(e, RX_DATA, "from %s: %ld days ahead, a stay starts at most %s days after today (%s)",
				from, ahead, grouped(a, LIMIT_AHEAD_DAYS), today);
	return 0;
}
