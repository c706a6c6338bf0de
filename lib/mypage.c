/* mypage: one row per reservation, in its customer's page, built only from outcomes. */
#include "mypage.h"
#include "reservation.h"
#include <stdio.h>
#include <string.h>

static const char *const row_keys[] = {"reservation", "car", "from", "to", "nights",
				       "amount", "status", "payment", "stars", "late_fee"};
#define ROW_KEYS (sizeof row_keys / sizeof row_keys[0])

int mypage_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);
	const char *status = booking_next(kind);
	const char *customer = kv_get(&ev->f, "customer"), *res = kv_get(&ev->f, "reservation");
	struct kv row, clean;
	int rc;

	if (customer == NULL || res == NULL || (status == NULL && kind != EV_RATING_ACCEPTED))
		return 0;
	rc = rec_row(s, CTX_MYPAGE, OWNER_CUSTOMER, customer, res, &row, e);
	if (rc < 0)
		return -1;
	if (rc == 1 && kind != EV_RES_ACCEPTED && kind != EV_RES_REJECTED && kind != EV_RES_CANCELED)
		return 0; /* the booking was never accepted or rejected: nothing to show */
	if (rc == 1) {
		for (size_t i = 0; i < ROW_KEYS; i++)
			kv_set(&row, row_keys[i], "");
		kv_set(&row, "reservation", res);
		kv_set(&row, "car", kv_get(&ev->f, "car"));
		kv_set(&row, "from", kv_get(&ev->f, "from") ? kv_get(&ev->f, "from") : "");
		kv_set(&row, "to", kv_get(&ev->f, "to") ? kv_get(&ev->f, "to") : "");
		kv_set(&row, "nights", kv_get(&ev->f, "nights") ? kv_get(&ev->f, "nights") : "");
		kv_set(&row, "amount", kv_get(&ev->f, "amount") ? kv_get(&ev->f, "amount") : "");
	}
	/* A payment taken, and a late fee, are facts whatever the status: a booking
	 * canceled as it was paid shows the payment its refund returns, one refunded as it
	 * came back late the fee it owes. */
	int moves = status && booking_may_become(kv_get(&row, "status"), status);
	if (status && !moves && kind != EV_PAY_ACCEPTED && kind != EV_RENTAL_RETURNED) {
		kv_free(&row);
		return 0;
	}
	if (moves)
		kv_set(&row, "status", status);
	if (kind == EV_PAY_ACCEPTED)
		kv_set(&row, "payment", kv_get(&ev->f, "payment"));
	if (kind == EV_RATING_ACCEPTED)
		kv_set(&row, "stars", kv_get(&ev->f, "stars"));
	if (kind == EV_RENTAL_RETURNED && kv_get(&ev->f, "late_fee"))
		kv_set(&row, "late_fee", kv_get(&ev->f, "late_fee"));
	if (kind == EV_RES_REJECTED && kv_get(&ev->f, "reason"))
		kv_set(&row, "reason", kv_get(&ev->f, "reason"));
	kv_init(&clean);
	for (size_t i = 0; i < ROW_KEYS; i++)
		kv_set(&clean, row_keys[i], kv_get(&row, row_keys[i]) ? kv_get(&row, row_keys[i]) : "");
	/* Why a booking was rejected, on its row only: the other rows stay as they were. */
	if (kv_get(&row, "reason") && *kv_get(&row, "reason"))
		kv_set(&clean, "reason", kv_get(&row, "reason"));
	rec_row_put(s, CTX_MYPAGE, OWNER_CUSTOMER, customer, &clean);
	kv_free(&clean);
	kv_free(&row);
	return 0;
}

int mypage_rows(struct store *s, const char *customer, struct kv **rows, size_t *n, struct rerr *e)
{
	int rc = rec_rows(s, CTX_MYPAGE, OWNER_CUSTOMER, customer, rows, n, e);

	context_sort(*rows, *n);
	return rc;
}
