/* Unit tests of the price rule (lib/price.c) on every boundary, and its property: a
 * longer stay never costs less than a shorter one of the same car. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include "limit.h"
#include "price.h"

static long long cost(long long rate, long long weekly, long long monthly, long long n)
{
	struct prices p = {rate, weekly, monthly};
	struct price_lines l;

	price_lines(&l, &p, n);
	assert_int_equal(l.amount, l.count[UNIT_MONTH] * l.price[UNIT_MONTH] +
			 l.count[UNIT_WEEK] * l.price[UNIT_WEEK] + l.count[UNIT_NIGHT] * l.price[UNIT_NIGHT]);
	return l.amount;
}

static void a_rate_alone_is_rate_times_nights(void **state)
{
	for (long long n = 1; n <= LIMIT_NIGHTS_MAX; n++)
		assert_int_equal(cost(37, 0, 0, n), 37 * n);
	/* the limits: the largest stay at the largest rate stays below 2^53 */
	assert_int_equal(cost(LIMIT_PRICE_MAX, 0, 0, LIMIT_NIGHTS_MAX), LIMIT_AMOUNT_MAX);
	assert_true(LIMIT_AMOUNT_MAX < (1LL << 53));
}

static void weeks_at_six_seven_and_eight_nights(void **state)
{
	/* rate 100, weekly 500 */
	assert_int_equal(cost(100, 500, 0, 5), 500);  /* 5 nights cost 500: not more than a week */
	assert_int_equal(cost(100, 500, 0, 6), 500);  /* 600 > 500: billed as a week */
	assert_int_equal(cost(100, 500, 0, 7), 500);
	assert_int_equal(cost(100, 500, 0, 8), 600);  /* a week and a night */
	assert_int_equal(cost(100, 500, 0, 4), 400);
	struct prices p = {100, 500, 0};
	struct price_lines l;
	price_lines(&l, &p, 13);
	assert_int_equal(l.count[UNIT_WEEK], 2); /* 500 + 600 > 1000: two weeks */
	assert_int_equal(l.count[UNIT_NIGHT], 0);
	assert_int_equal(l.amount, 1000);
}

static void months_at_twenty_nine_thirty_and_thirty_one(void **state)
{
	/* rate 100, weekly 600, monthly 2000 */
	assert_int_equal(cost(100, 600, 2000, 29), 2000); /* 4 weeks and a night: 2500 > 2000 */
	assert_int_equal(cost(100, 600, 2000, 30), 2000);
	assert_int_equal(cost(100, 600, 2000, 31), 2100);
	assert_int_equal(cost(100, 600, 2000, 20), 1800); /* 2 weeks 6 nights: 6 nights = a week */
	assert_int_equal(cost(100, 600, 2000, 23), 2000); /* 3 weeks 2 nights: 2000 = a month, not more */
	assert_int_equal(cost(100, 600, 2000, 24), 2000); /* 3 weeks 3 nights: 2100 > 2000 */
	assert_int_equal(cost(100, 600, 2000, 60), 4000);
	assert_int_equal(cost(100, 600, 2000, 366), 12 * 2000 + 600);
	/* an unset monthly price is what 30 nights cost in weeks and nights */
	assert_int_equal(cost(100, 600, 0, 30), 4 * 600 + 2 * 100);
	assert_int_equal(cost(100, 600, 0, 29), 2500); /* 4 weeks and a night, under 2600 */
}

static void prices_above_their_bounds_are_refused(void **state)
{
	struct rerr e = {0};

	assert_int_equal(price_check(100, 700, 3000, &e), 0);
	assert_int_equal(price_check(100, 701, 0, &e), -1);
	assert_int_equal(e.code, RX_DATA);
	assert_int_equal(price_check(100, 0, 3001, &e), -1);
}

static void a_longer_stay_never_costs_less(void **state)
{
	srand(20261206);
	for (int round = 0; round < 2000; round++) {
		long long rate = 1 + rand() % 1000;
		long long weekly = rand() % 3 ? 1 + rand() % (7 * rate) : 0;
		long long monthly = rand() % 3 ? 1 + rand() % (30 * rate) : 0;
		long long last = 0;
		for (long long n = 1; n <= LIMIT_NIGHTS_MAX; n++) {
			long long c = cost(rate, weekly, monthly, n);
			if (c < last)
				fail_msg("rate %lld weekly %lld monthly %lld: %lld nights cost %lld, %lld cost %lld",
					 rate, weekly, monthly, n, c, n - 1, last);
			assert_true(c <= rate * n); /* never dearer than the rate alone */
			last = c;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_rate_alone_is_rate_times_nights),
		cmocka_unit_test(weeks_at_six_seven_and_eight_nights),
		cmocka_unit_test(months_at_twenty_nine_thirty_and_thirty_one),
		cmocka_unit_test(prices_above_their_bounds_are_refused),
		cmocka_unit_test(a_longer_stay_never_costs_less),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
