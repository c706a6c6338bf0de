/* payment: takes payments of reservations and cancels them. */
#ifndef RENTAL_PAYMENT_H
#define RENTAL_PAYMENT_H
#include "context.h"

/* The rule for pay on today: amount (if not NULL) is within the limits, the
 * reservation is RESERVED in the payment context, its stay has not ended (its to is
 * not before today: paid, it would be overdue at once), its amount is within the
 * limits too, and amount equals it. Fills *due. today NULL: no rule of dates (a payment
 * logged before these rules, or without its admission day). */
int payment_check_pay(struct store *s, const char *res, const char *amount, const char *today,
		      long long *due, struct rerr *e);
/* The rule for pay cancel on today: the reservation is RENTED (paid, not returned)
 * and not overdue (its to is not before today): an overdue car is out, and its return
 * owes a late fee, which a refund would drop. today as for payment_check_pay. */
int payment_check_cancel(struct store *s, const char *res, const char *today, struct rerr *e);
/* The today to give those two for an event decided by rules (limit.h; a command's:
 * rec_rules of its home): today where the rules of a stay that has ended hold, else
 * NULL. */
const char *payment_ended_today(const char *today, int rules);
int payment_get(struct store *s, const char *res, struct kv *p, struct rerr *e);
#endif

/* The payment circuit breaker (spool/breaker). pay is refused (RX_TEMP, "payment is
 * busy, try again in N s") while max_pending pay events wait in the spool, or for
 * open_seconds after consecutive_errors failed runs of the payment context. */
struct cfg;
int payment_breaker_check(const char *spool, const struct cfg *c, struct rerr *e);
/* Records one run of the payment context: failed or not. */
int payment_breaker_record(const char *spool, const struct cfg *c, int failed, struct rerr *e);
