/* limit: every bound a value may take (CONTRACT, "Limits that protect the home"),
 * and the one check of each, called by the commands, the rules and the event schema.
 * Out of bounds is RX_DATA (exit 65) with a message naming the value and the bound. */
#ifndef RENTAL_LIMIT_H
#define RENTAL_LIMIT_H
#include "util.h"

#define LIMIT_PRICE_MAX 1000000000000LL /* a rate, weekly, monthly or late-fee price */
#define LIMIT_NIGHTS_MAX 366            /* nights of a stay; late nights counted */
#define LIMIT_AHEAD_DAYS 1096           /* a stay starts at most this many days after today */
#define LIMIT_STARS_MAX 5               /* a rating is 1 to this many stars */
#define LIMIT_TEXT_MAX 200              /* bytes of a model, a comment or a reason */
/* Any single amount: a price times a count of nights, so below 2^53. */
#define LIMIT_AMOUNT_MAX (LIMIT_PRICE_MAX * LIMIT_NIGHTS_MAX)
/* The largest whole number a field is read as (2^53 - 1): JSON readers get it exact. */
#define LIMIT_WHOLE_MAX 9007199254740991LL
/* Stays admitted before this day were booked without the window of LIMIT_AHEAD_DAYS
 * (nor a most of nights): a rebuild decides them as they were decided then. */
#define LIMIT_STAY_SINCE "2026-12-06"
/* Returns admitted before this day owed no late fee: a rebuild decides them so. */
#define LIMIT_LATE_SINCE "2026-12-06"
/* The rules an event is decided by, logged with the day it is admitted ("SEQ DAY
 * RULES" in the log's admitted record), so that a rebuild decides it as it was decided
 * whatever release runs it and whenever it was made; an event logged without them
 * (before they were numbered) is at 0. A day of a release (LIMIT_STAY_SINCE) says
 * nothing of when a home began to run it. From 1, a stay that has ended is not paid,
 * and the payment of an overdue one is not canceled. */
#define RULES_VERSION 1
#define RULES_ENDED_STAYS 1

/* A price (rate, weekly, monthly, late fee) s: 1..LIMIT_PRICE_MAX, into *out. what
 * names it in the message ("--rate", "rate"). */
int limit_price(const char *s, long long *out, const char *what, struct rerr *e);
/* An amount s (what a stay costs): 1..LIMIT_AMOUNT_MAX, into *out. */
int limit_amount(const char *s, long long *out, const char *what, struct rerr *e);
/* *out = price x count, where price is 1..LIMIT_PRICE_MAX and count 0..LIMIT_NIGHTS_MAX
 * (what names the price), so that the product is at most LIMIT_AMOUNT_MAX. */
int limit_cost(long long price, long long count, long long *out, const char *what,
	       struct rerr *e);
/* Stars s: a whole number 1..LIMIT_STARS_MAX, into *out. */
int limit_stars(const char *s, long long *out, struct rerr *e);
/* A text (model, comment, reason): at most LIMIT_TEXT_MAX bytes of UTF-8, with no
 * control characters (C0, DEL) but those in allowed_ctl (NULL: none). The rule a
 * logged event is applied by, again in a rebuild. */
int limit_text(const char *s, const char *allowed_ctl, const char *what, struct rerr *e);
/* A text a user gives now (a command, an event admitted): limit_text's, and no C1
 * control character (CSI, NEL) either, which the history of an older release may
 * hold (tables show them escaped). */
int limit_input_text(const char *s, const char *allowed_ctl, const char *what, struct rerr *e);
/* A stay's own dates: from and to are dates, to after from, 1..LIMIT_NIGHTS_MAX nights. */
int limit_dates(const char *from, const char *to, struct rerr *e);
/* A stay booked on today: limit_dates, and from is neither before today nor more than
 * LIMIT_AHEAD_DAYS after it. */
int limit_stay(const char *from, const char *to, const char *today, struct rerr *e);
#endif
