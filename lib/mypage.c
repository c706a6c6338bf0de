/* mypage: one row per reservation, under its customer, built only from outcomes. */
#include "mypage.h"
#include "reservation.h"
#include <stdio.h>
#include <string.h>

void mypage_dir(char *out, size_t size, const char *customer)
{
	context_name_dir(out, size, "mypage", "customers", customer);
}

/* mypage/customers/xx/CUSTOMER/ab/RES.yaml: the customer's row for a booking. */
static void row_path(const struct store *s, char *out, size_t size, const char *customer,
		     const char *res)
{
	char dir[160];

	mypage_dir(dir, sizeof dir, customer);
	context_entry_path(s, out, size, dir, res, ".yaml");
}

int mypage_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	static const char *const row_keys[] = {"reservation", "car", "from", "to", "nights",
					       "amount", "status", "payment", "stars"};
	const char *type = kv_get(&ev->f, "type"), *status = booking_next(type);
	const char *customer = kv_get(&ev->f, "customer"), *res = kv_get(&ev->f, "reservation");
	char p[200];
	struct kv row, clean;
	int rc;

	if (customer == NULL || res == NULL || (status == NULL && strcmp(type, "rating.accepted")))
		return 0;
	row_path(s, p, sizeof p, customer, res);
	rc = store_get_kv(s, p, &row, e);
	if (rc < 0)
		return -1;
	if (rc == 1 && strncmp(type, "reservation.", 12) != 0)
		return 0; /* the booking was never accepted or rejected: nothing to show */
	if (rc == 1) {
		for (size_t i = 0; i < 9; i++)
			kv_set(&row, row_keys[i], "");
		kv_set(&row, "reservation", res);
		kv_set(&row, "car", kv_get(&ev->f, "car"));
		kv_set(&row, "from", kv_get(&ev->f, "from"));
		kv_set(&row, "to", kv_get(&ev->f, "to"));
		kv_set(&row, "nights", kv_get(&ev->f, "nights") ? kv_get(&ev->f, "nights") : "");
		kv_set(&row, "amount", kv_get(&ev->f, "amount") ? kv_get(&ev->f, "amount") : "");
	}
	if (status)
		kv_set(&row, "status", status);
	if (!strcmp(type, "payment.accepted"))
		kv_set(&row, "payment", kv_get(&ev->f, "payment"));
	if (!strcmp(type, "rating.accepted"))
		kv_set(&row, "stars", kv_get(&ev->f, "stars"));
	kv_init(&clean);
	for (size_t i = 0; i < 9; i++)
		kv_set(&clean, row_keys[i], kv_get(&row, row_keys[i]) ? kv_get(&row, row_keys[i]) : "");
	store_put_kv(s, p, &clean);
	kv_free(&clean);
	kv_free(&row);
	return 0;
}
