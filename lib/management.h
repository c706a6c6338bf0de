/* management: the fleet: cars, their rates, status and stars. */
#ifndef RENTAL_MANAGEMENT_H
#define RENTAL_MANAGEMENT_H
#include "context.h"

/* A car's settings as carctl add and set give them: NULL where not given. */
struct car_settings {
	const char *rate, *model, *weekly, *monthly, *late_fee;
};

/* The rule for carctl add: a valid id not yet registered, a rate, a model and prices
 * within the limits, and prices that agree with the rate (price_check). */
int management_check_add(struct store *s, const char *car, const struct car_settings *set,
			 struct rerr *e);
/* The rule for carctl set: a registered car, at least one setting, each within the
 * limits, and the prices after the change agree with its rate. */
int management_check_set(struct store *s, const char *car, const struct car_settings *set,
			 struct rerr *e);
/* The settings an event (car.add, car.set) carries. */
void management_settings(struct car_settings *set, const struct kv *f);
/* The rule for carctl rm: the car exists and holds no RESERVED or RENTED booking. */
int management_check_rm(struct store *s, const char *car, struct rerr *e);
/* Adds to carctl rm's refusal e the first booking that holds car (by its from), and
 * whether there are more: one never paid whose stay is long over is not otherwise easy
 * to find. The command's words only: the refusal a batch logs stays as it was, so that
 * a rebuild of an older log decides the same. Returns -1: the refusal, or e an error
 * of reading the car's bookings. */
int management_name_holder(struct store *s, const char *car, struct rerr *e);
/* The car as management knows it, with status and stars derived. */
int management_car(struct store *s, const char *car, struct kv *c, struct rerr *e);
/* The car booking res (paid on the day paid) was made for, as the fleet has it now,
 * for the reading commands: 0 and *c; 1 if it is removed, or its id registered again
 * since (another car: it has no row of res; while this context is behind the log and
 * has none yet, registered after paid). */
int management_car_of(struct store *s, const char *car, const char *res, const char *paid,
		      struct kv *c, struct rerr *e);
/* Every car with status and stars derived, by id. */
int management_list(struct store *s, struct kv **recs, size_t *n, struct rerr *e);
/* The bookings of one car, and its blocks in force (status BLOCKED), by from. */
int management_bookings(struct store *s, const char *car, struct kv **recs, size_t *n,
			struct rerr *e);
/* The car's reviews (stars, comment, date), newest first, at most MANAGEMENT_REVIEWS. */
#define MANAGEMENT_REVIEWS 20
int management_reviews(struct store *s, const char *car, struct kv **recs, size_t *n,
		       struct rerr *e);
/* The report over the nights [from, to) (CONTRACT 2, "The desk"), a row per car (or
 * per month, by_month): car (month), bookings and nights of the paid bookings (RENTED
 * or RETURNED) whose from is in the period, revenue (their amounts and late fees),
 * refunds (amounts of PAYMENT_CANCELED ones), utilisation (percent, one decimal: their
 * nights inside the period / its days; for a month, / its days x the cars registered
 * on its last day) and stars (the average of their ratings, or empty); total sums
 * them. Reads the records management keeps by car and month of from: its cost is the
 * fleet times the months of the period, not the history. */
int management_report(struct store *s, const char *from, const char *to, int by_month,
		      struct kv **rows, size_t *n, struct kv *total, struct rerr *e);
#endif
