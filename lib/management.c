/* management: registers and removes cars, and follows bookings and ratings through
 * the outcomes other contexts log, so a car's status is always derived, never set. */
#include "management.h"
#include "limit.h"
#include "price.h"
#include "reservation.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* num / den (den > 0) to one decimal, halves up (4.25 is 4.3: printf's %.1f rounds
 * such a tie to the even digit). */
static void set_tenths(struct kv *r, const char *key, long long num, long long den)
{
	long long t = (num * 20 + den) / (2 * den);

	kv_setf(r, key, "%lld.%lld", t / 10, t % 10);
}

/* Adds status and stars, derived from the counts the file keeps. */
static void derive(struct kv *c)
{
	long long n = kv_num(c, "ratings", 0), sum = kv_num(c, "stars_sum", 0);

	kv_set(c, "status", car_status(kv_num(c, "rented", 0), kv_num(c, "reserved", 0)));
	if (n > 0)
		set_tenths(c, "stars", sum, n);
}

int management_car(struct store *s, const char *car, struct kv *c, struct rerr *e)
{
	int rc = rec_car(s, CTX_MANAGEMENT, car, c, e);

	if (rc == 0)
		derive(c);
	return rc;
}

/* The car booking res was made for: 0 and *c; 1 if it is removed or its id registered
 * again since (another car: it has no row of res). */
static int car_of(struct store *s, const char *car, const char *res, struct kv *c, struct rerr *e)
{
	struct kv b;
	int rc = rec_row(s, CTX_MANAGEMENT, OWNER_CAR, car, res, &b, e);

	kv_init(c);
	if (rc != 0)
		return rc;
	kv_free(&b);
	return management_car(s, car, c, e);
}

/* The day the car's registration in force (or last) began: its last "added" date. */
static long registered_since(const char *dates)
{
	char d[11];
	long since = 0;
	int n = 0, used;

	while (dates && sscanf(dates, "%10s%n", d, &used) == 1) {
		if (n++ % 2 == 0 && valid_date(d))
			since = date_days(d);
		dates += used;
	}
	return since;
}

int management_car_of(struct store *s, const char *car, const char *res, const char *paid,
		      struct kv *c, struct rerr *e)
{
	long long cursor, head;
	struct kv f;
	int rc = car_of(s, car, res, c, e);

	/* No row while this context is behind the log (switched off): it may not have seen
	 * the booking yet. Its car then, unless registered again after the booking was paid
	 * (a car is removed only with no booking paid and not returned). */
	if (rc != 1)
		return rc;
	if ((cursor = rec_cursor(s, CTX_MANAGEMENT, e)) < 0 || (head = rec_log_head(s, e)) < 0)
		return -1;
	if (cursor >= head)
		return 1;
	if (rec_fleet_car(s, car, &f, e) < 0)
		return -1;
	rc = registered_since(kv_get(&f, "dates")) > date_days(paid) ? 1 : 0;
	kv_free(&f);
	return rc == 1 ? 1 : management_car(s, car, c, e);
}

void management_settings(struct car_settings *set, const struct kv *f)
{
	set->rate = kv_get(f, "rate");
	set->model = kv_get(f, "model");
	set->weekly = kv_get(f, "weekly");
	set->monthly = kv_get(f, "monthly");
	set->late_fee = kv_get(f, "late_fee");
}

/* Each setting given is within the limits. */
static int check_values(const struct car_settings *set, struct rerr *e)
{
	const struct { const char *v, *what; } prices[] = {
		{set->rate, "rate"}, {set->weekly, "weekly"}, {set->monthly, "monthly"},
		{set->late_fee, "late fee"}};
	long long v;

	for (size_t i = 0; i < 4; i++)
		if (prices[i].v && limit_price(prices[i].v, &v, prices[i].what, e) < 0)
			return -1;
	if (set->model && limit_text(set->model, NULL, "model", e) < 0)
		return -1;
	return 0;
}

/* The prices of c (a car record) with set's in their place agree with the rate. */
static int check_prices(const struct kv *c, const struct car_settings *set, struct rerr *e)
{
	const char *rate = set->rate ? set->rate : kv_get(c, "rate");
	const char *weekly = set->weekly ? set->weekly : kv_get(c, "weekly");
	const char *monthly = set->monthly ? set->monthly : kv_get(c, "monthly");
	long long r = 0, w = 0, m = 0;

	parse_money(rate ? rate : "0", &r);
	if (weekly && *weekly)
		parse_money(weekly, &w);
	if (monthly && *monthly)
		parse_money(monthly, &m);
	return price_check(r, w, m, e);
}

int management_check_add(struct store *s, const char *car, const struct car_settings *set,
			 struct rerr *e)
{
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: a car id is 1 to 32 letters, digits, '.', '_' or '-'", car);
	if (set->rate == NULL)
		return rerr_set(e, RX_DATA, "%s: a car needs a rate", car);
	kv_init(&c);
	if (check_values(set, e) < 0 || check_prices(&c, set, e) < 0)
		return -1;
	rc = management_car(s, car, &c, e);
	kv_free(&c);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return rerr_set(e, RX_REFUSED, "%s: already registered", car);
	return 0;
}

int management_check_set(struct store *s, const char *car, const struct car_settings *set,
			 struct rerr *e)
{
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: not a car id", car);
	if (!set->rate && !set->model && !set->weekly && !set->monthly && !set->late_fee)
		return rerr_set(e, RX_DATA, "%s: nothing to change", car);
	if (check_values(set, e) < 0)
		return -1;
	rc = management_car(s, car, &c, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown car", car);
	rc = check_prices(&c, set, e);
	kv_free(&c);
	return rc;
}

/* The count a car keeps of its bookings in this status, or NULL if it keeps none. */
static const char *count_of(const char *status)
{
	return !strcmp(status, ST_RENTED) ? "rented" : !strcmp(status, ST_RESERVED) ? "reserved" : NULL;
}

int management_name_holder(struct store *s, const char *car, struct rerr *e)
{
	struct kv *rows;
	size_t n, held = 0, first = 0;
	struct rerr io = {0};

	if (management_bookings(s, car, &rows, &n, &io) < 0) {
		store_records_free(rows, n);
		*e = io;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (count_of(kv_get(&rows[i], "status") ?: "") == NULL) /* not held */
			continue;
		if (held++ == 0)
			first = i;
	}
	if (held > 0)
		rerr_add(e, ": %s (%s, %s to %s)%s", kv_get(&rows[first], "reservation"),
			   kv_get(&rows[first], "status"), kv_get(&rows[first], "from") ?: "",
			   kv_get(&rows[first], "to") ?: "", held > 1 ? " and more" : "");
	store_records_free(rows, n);
	return -1;
}

int management_check_rm(struct store *s, const char *car, struct rerr *e)
{
	struct kv c;
	int rc;

	if (!valid_name(car))
		return rerr_set(e, RX_DATA, "%.40s: not a car id", car);
	rc = management_car(s, car, &c, e);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown car", car);
	if (kv_num(&c, "reserved", 0) > 0 || kv_num(&c, "rented", 0) > 0) {
		rc = rerr_set(e, RX_REFUSED, "%s: is %s, a car with a RESERVED or RENTED booking cannot be deleted",
			      car, kv_get(&c, "status"));
		/* what ends them: a booking canceled; one paid, refunded or returned */
		context_rests_on(e, (kv_num(&c, "reserved", 0) > 0 ? 1u << CTX_RESERVATION : 0) |
				    (kv_num(&c, "rented", 0) > 0 ? 1u << CTX_PAYMENT | 1u << CTX_RENTAL : 0));
	}
	kv_free(&c);
	return rc;
}

/* Writes the car without its derived fields; a price not set is not written. */
static void save_car(struct store *s, struct kv *c)
{
	static const char *const kept[] = {"car", "model", "rate", "weekly", "monthly", "late_fee",
					   "reserved", "rented", "ratings", "stars_sum"};
	struct kv out;

	kv_init(&out);
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		const char *v = kv_get(c, kept[i]);
		if (i >= 3 && i <= 5 && (v == NULL || *v == '\0'))
			continue;
		kv_set(&out, kept[i], v ? v : "0");
	}
	rec_car_put(s, CTX_MANAGEMENT, &out);
	kv_free(&out);
}

/* The outcome that tells the other contexts a car's prices: rate, and those set. */
static void tell_prices(struct kv *o, const struct kv *c)
{
	static const char *const prices[] = {"rate", "weekly", "monthly", "late_fee"};

	for (size_t i = 0; i < 4; i++)
		if (kv_get(c, prices[i]) && *kv_get(c, prices[i]))
			kv_set(o, prices[i], kv_get(c, prices[i]));
}

/* Sets the settings given into c. */
static void settle(struct kv *c, const struct car_settings *set)
{
	const struct { const char *k, *v; } given[] = {
		{"model", set->model}, {"rate", set->rate}, {"weekly", set->weekly},
		{"monthly", set->monthly}, {"late_fee", set->late_fee}};

	for (size_t i = 0; i < 5; i++)
		if (given[i].v)
			kv_set(c, given[i].k, given[i].v);
}

/* ---- what the report sums: a car's month of its bookings' from (records.h) ---- */

/* A paid booking's entry in the car's month of its from; its text is shorter than
 * ENTRY_MAX (an id, a date, a status and four numbers of 20 digits at most). */
enum { ENTRY_MAX = 192 };
struct entry {
	char from[11], status[24];
	long long nights, amount, late, stars;
};

/* The record's entries are its "bookings": "RES FROM STATUS NIGHTS AMOUNT LATE STARS",
 * separated by commas. Parses the entry that starts at v (into res and x); the length
 * it takes, or 0 if it is no entry. */
static size_t entry_parse(char res[ID_LEN], struct entry *x, const char *v)
{
	char one[ENTRY_MAX];
	size_t len = strcspn(v, ",");
	int used = 0;

	/* sscanf measures the whole string it is given: an entry alone, or reading a month
	 * of k entries cost the square of k. */
	if (len >= sizeof one)
		return 0;
	memcpy(one, v, len);
	one[len] = '\0';
	if (sscanf(one, "%20s %10s %23s %lld %lld %lld %lld%n", res, x->from, x->status, &x->nights,
		   &x->amount, &x->late, &x->stars, &used) != 7 || (size_t)used != len ||
	    !valid_date(x->from))
		return 0;
	return len;
}

/* The entry of res in r: 0, or -1 if it has none. */
static int entry_get(const struct kv *r, const char *res, struct entry *x)
{
	char id[ID_LEN];
	size_t len;

	for (const char *v = kv_get(r, "bookings"); v && *v; v += len + (v[len] == ',')) {
		if ((len = entry_parse(id, x, v)) == 0)
			return -1;
		if (strcmp(id, res) == 0)
			return 0;
	}
	return -1;
}

/* Sets the entry of res in r, in place of the one it had or after the others. */
static void entry_put(struct kv *r, const char *res, const struct entry *x)
{
	const char *all = kv_get(r, "bookings");
	char id[ID_LEN], *out = xcalloc(1, (all ? strlen(all) : 0) + ENTRY_MAX + 1), *end = out;
	struct entry y;
	size_t len;

	for (const char *v = all; v && *v; v += len + (v[len] == ',')) {
		if ((len = entry_parse(id, &y, v)) == 0)
			break;
		if (strcmp(id, res) == 0)
			continue;
		if (end > out)
			*end++ = ',';
		memcpy(end, v, len);
		end += len;
	}
	snprintf(end, ENTRY_MAX + 1, "%s%s %s %s %lld %lld %lld %lld", end > out ? "," : "", res, x->from,
		 x->status, x->nights, x->amount, x->late, x->stars);
	kv_set(r, "bookings", out);
	free(out);
}

/* A night's mark: how many paid stays hold it, f for none, u for one (all a history
 * without overlapping paid stays ever holds), 2 to 9 beyond (a stay returned early
 * frees its nights to another). */
static char night_mark(char was, int delta)
{
	int n = was == 'u' ? 1 : was >= '2' && was <= '9' ? was - '0' : 0;

	n += delta;
	return n <= 0 ? 'f' : n == 1 ? 'u' : n > 9 ? '9' : (char)('0' + n);
}

/* Counts the nights [from, to) of car in one more paid stay (delta 1) or one fewer
 * (-1), in the records of their months: a string of 31, a night a day of the month. */
static int mark_nights(struct store *s, const char *car, long from, long to, int delta,
		       struct rerr *e)
{
	for (long d = from; d < to;) {
		char month[11], used[32];
		int y, m, day, y0, m0;
		struct kv r;
		date_from_days(d, &y0, &m0, &day);
		snprintf(month, sizeof month, "%04d-%02d", y0, m0);
		if (rec_car_month(s, car, month, &r, e) < 0)
			return -1;
		memset(used, 'f', 31);
		used[31] = '\0';
		if (kv_get(&r, "used") && strlen(kv_get(&r, "used")) == 31)
			memcpy(used, kv_get(&r, "used"), 31);
		for (; d < to; d++) {
			date_from_days(d, &y, &m, &day);
			if (y != y0 || m != m0)
				break;
			used[day - 1] = night_mark(used[day - 1], delta);
		}
		kv_set(&r, "car", car);
		kv_set(&r, "used", used);
		rec_car_month_put(s, car, month, &r);
		kv_free(&r);
	}
	return 0;
}

/* Follows a paid booking b (its from and to) into the report's records: paid, its
 * payment canceled, returned with its late fee. */
static int report_booking(struct store *s, const struct event *ev, const struct kv *b,
			  const char *status, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *res = kv_get(&ev->f, "reservation");
	const char *from = kv_get(b, "from") ?: "", *to = kv_get(b, "to") ?: "";
	struct entry x = {{0}};
	struct kv r;
	long nights;
	int have;

	if (!valid_date(from) || !valid_date(to) || (nights = date_days(to) - date_days(from)) < 1 ||
	    nights > LIMIT_NIGHTS_MAX)
		return 0;
	if (rec_car_month(s, car, from, &r, e) < 0)
		return -1;
	have = entry_get(&r, res, &x) == 0;
	if (!strcmp(status, ST_RENTED)) {
		snprintf(x.from, sizeof x.from, "%s", from);
		x.nights = nights;
		x.amount = kv_num(&ev->f, "amount", 0);
		x.late = x.stars = 0;
	} else if (have && !strcmp(status, ST_RETURNED)) {
		x.late = kv_num(&ev->f, "late_fee", 0);
		if (!strcmp(x.status, ST_PAY_CANCELED)) { /* refunded as it came back: the fee stands */
			entry_put(&r, res, &x);
			rec_car_month_put(s, car, from, &r);
			kv_free(&r);
			return 0;
		}
	} else if (!have || strcmp(status, ST_PAY_CANCELED) != 0) {
		kv_free(&r);
		return 0;
	}
	snprintf(x.status, sizeof x.status, "%s", status);
	kv_set(&r, "car", car);
	entry_put(&r, res, &x);
	rec_car_month_put(s, car, from, &r);
	kv_free(&r);
	if (!strcmp(status, ST_RETURNED))
		return 0;
	return mark_nights(s, car, date_days(from), date_days(to), !strcmp(status, ST_RENTED) ? 1 : -1, e);
}

/* The month (YYYY-MM-01) of the report's entry for booking res of car: 0, 1 if none.
 * A stay of an earlier registration of the id has no booking row (registering it again
 * drops them): its month is searched from the car's first registration to the last a
 * stay booked by now may start in. */
static int stay_month(struct store *s, const struct event *ev, const char *car, const char *res,
		      char month[11], struct rerr *e)
{
	struct kv b, f, r;
	struct entry x;
	char today[11];
	int rc = rec_row(s, CTX_MANAGEMENT, OWNER_CAR, car, res, &b, e), y, m, d;
	long last;

	if (rc == 0) {
		rc = valid_date(kv_get(&b, "from") ?: "") ? 0 : 1;
		if (rc == 0)
			snprintf(month, 11, "%.7s-01", kv_get(&b, "from"));
		kv_free(&b);
		return rc;
	}
	if (rc < 0 || rec_fleet_car(s, car, &f, e) < 0)
		return -1;
	snprintf(month, 11, "%.7s-01", kv_get(&f, "dates") ?: "");
	kv_free(&f);
	context_today(today, ev);
	last = date_days(today) + LIMIT_AHEAD_DAYS;
	while (valid_date(month) && date_days(month) <= last) {
		if (rec_car_month(s, car, month, &r, e) < 0)
			return -1;
		rc = entry_get(&r, res, &x);
		kv_free(&r);
		if (rc == 0)
			return 0;
		date_from_days(date_days(month) + 31, &y, &m, &d); /* a day of the next month */
		snprintf(month, 11, "%04d-%02d-01", y, m);
	}
	return 1;
}

/* A rating's stars, on its booking's entry. */
static int report_rating(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *res = kv_get(&ev->f, "reservation");
	char month[11];
	struct entry x;
	struct kv r;
	int rc = stay_month(s, ev, car, res, month, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (rec_car_month(s, car, month, &r, e) < 0)
		return -1;
	if (entry_get(&r, res, &x) == 0) {
		x.stars = kv_num(&ev->f, "stars", 0);
		entry_put(&r, res, &x);
		rec_car_month_put(s, car, month, &r);
	}
	kv_free(&r);
	return 0;
}

/* The day a car is added or removed, after the days before: "ADDED REMOVED ADDED ...". */
static int fleet_note(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	char today[11];
	struct kv f;

	if (rec_fleet_car(s, car, &f, e) < 0)
		return -1;
	context_today(today, ev);
	if (kv_get(&f, "dates"))
		kv_setf(&f, "dates", "%s %s", kv_get(&f, "dates"), today);
	else
		kv_set(&f, "dates", today);
	kv_set(&f, "car", car);
	rec_fleet_car_put(s, &f);
	kv_free(&f);
	return 0;
}

static int apply_add(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *model = kv_get(&ev->f, "model");
	struct car_settings set;
	struct rerr why = {0};
	struct kv c, *o;

	management_settings(&set, &ev->f);
	if (management_check_add(s, car, &set, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	/* An id registered again is another car: the old one's bookings, all ended (rm
	 * refuses a car whose bookings hold nights), are no longer shown with it; the
	 * report keeps them in its months. */
	if (rec_rows_drop(s, CTX_MANAGEMENT, OWNER_CAR, car, e) < 0)
		return -1;
	kv_init(&c);
	kv_set(&c, "car", car);
	kv_set(&c, "model", model ? model : "");
	settle(&c, &set);
	save_car(s, &c);
	if (fleet_note(s, ev, e) < 0) {
		kv_free(&c);
		return -1;
	}
	o = outbox_add(out, EV_CAR_REGISTERED, ev);
	tell_prices(o, &c);
	if (model)
		kv_set(o, "model", model);
	kv_free(&c);
	return 0;
}

static int apply_set(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	struct car_settings set;
	struct rerr why = {0};
	struct kv c, *o;

	management_settings(&set, &ev->f);
	if (management_check_set(s, car, &set, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	if (management_car(s, car, &c, e) != 0)
		return -1;
	settle(&c, &set);
	save_car(s, &c);
	o = outbox_add(out, EV_CAR_CHANGED, ev);
	tell_prices(o, &c);
	kv_free(&c);
	return 0;
}

static int apply_rm(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car");
	struct rerr why = {0};
	struct kv *rows;
	size_t n;

	if (management_check_rm(s, car, &why) < 0)
		return outbox_refuse_or_fail(out, ev, CTX_MANAGEMENT, &why, e);
	rec_car_del(s, CTX_MANAGEMENT, car);
	if (fleet_note(s, ev, e) < 0)
		return -1;
	/* Its blocks end with it (the reservation context frees their nights), and its
	 * reviews go with its ratings. */
	if (rec_rows(s, CTX_MANAGEMENT, OWNER_CAR, car, &rows, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv_get(&rows[i], "status") ?: "", ST_BLOCKED))
			rec_row_del(s, CTX_MANAGEMENT, OWNER_CAR, car, kv_get(&rows[i], "reservation"));
	store_records_free(rows, n);
	if (rec_reviews(s, car, &rows, &n, e) < 0)
		return -1;
	if (n > 0)
		rec_reviews_put(s, car, NULL, 0);
	store_records_free(rows, n);
	outbox_add(out, EV_CAR_REMOVED, ev);
	return 0;
}

/* A block in force shows among the car's bookings until it ends. */
static int apply_block(struct store *s, const struct event *ev, int accepted, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *blk = kv_get(&ev->f, "block");
	struct kv c, row;
	int rc;

	if (!accepted) {
		rec_row_del(s, CTX_MANAGEMENT, OWNER_CAR, car, blk);
		return 0;
	}
	if ((rc = rec_car(s, CTX_MANAGEMENT, car, &c, e)) != 0)
		return rc < 0 ? -1 : 0; /* removed meanwhile: its blocks ended with it */
	kv_free(&c);
	kv_init(&row);
	kv_set(&row, "reservation", blk);
	kv_set(&row, "from", kv_get(&ev->f, "from"));
	kv_set(&row, "to", kv_get(&ev->f, "to"));
	kv_set(&row, "status", ST_BLOCKED);
	rec_row_put(s, CTX_MANAGEMENT, OWNER_CAR, car, &row);
	kv_free(&row);
	return 0;
}

static void count_add(struct kv *c, const char *status, int delta)
{
	const char *k = count_of(status);

	if (k)
		kv_setnum(c, k, kv_num(c, k, 0) + delta);
}

/* Moves the car's counts from the booking's old status to its new one. */
static int apply_booking(struct store *s, const struct event *ev, const char *status, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *res = kv_get(&ev->f, "reservation");
	struct kv b, c;
	int rc = rec_row(s, CTX_MANAGEMENT, OWNER_CAR, car, res, &b, e);

	if (rc < 0)
		return -1;
	if (rc == 1) {
		kv_set(&b, "reservation", res);
		kv_set(&b, "from", kv_get(&ev->f, "from") ? kv_get(&ev->f, "from") : "");
		kv_set(&b, "to", kv_get(&ev->f, "to") ? kv_get(&ev->f, "to") : "");
		kv_set(&b, "status", "");
	}
	/* A payment taken, and a late fee, count in the report whatever the status: a
	 * booking canceled as it was paid is then refunded, and the refund is the report's;
	 * one refunded as it came back late owes its late fee. */
	int moves = booking_may_become(kv_get(&b, "status"), status);
	if (!moves && event_kind_of(ev) != EV_PAY_ACCEPTED && event_kind_of(ev) != EV_RENTAL_RETURNED) {
		kv_free(&b);
		return 0;
	}
	kv_init(&c);
	if (moves && (rc = management_car(s, car, &c, e)) < 0) {
		kv_free(&b);
		return -1;
	}
	if (moves && rc == 0) {
		count_add(&c, kv_get(&b, "status"), -1);
		count_add(&c, status, +1);
		save_car(s, &c);
	}
	if (moves) {
		kv_set(&b, "status", status);
		rec_row_put(s, CTX_MANAGEMENT, OWNER_CAR, car, &b);
	}
	rc = report_booking(s, ev, &b, status, e);
	kv_free(&b);
	kv_free(&c);
	return rc;
}

/* A rating counts in the car's stars, and is its newest review. */
static int apply_rating(struct store *s, const struct event *ev, struct rerr *e)
{
	const char *car = kv_get(&ev->f, "car"), *comment = kv_get(&ev->f, "comment");
	struct kv c, *old, *rows;
	size_t n, nold;
	char today[11];
	/* A car removed since its stay, or its id registered again: the rating counts in
	 * the report only, on the stay. */
	int rc = car_of(s, car, kv_get(&ev->f, "reservation"), &c, e);

	if (rc != 0)
		return rc < 0 ? -1 : report_rating(s, ev, e);
	kv_setnum(&c, "ratings", kv_num(&c, "ratings", 0) + 1);
	kv_setnum(&c, "stars_sum", kv_num(&c, "stars_sum", 0) + kv_num(&ev->f, "stars", 0));
	save_car(s, &c);
	kv_free(&c);
	if (report_rating(s, ev, e) < 0 || rec_reviews(s, car, &old, &nold, e) < 0)
		return -1;
	n = nold > MANAGEMENT_REVIEWS - 1 ? MANAGEMENT_REVIEWS - 1 : nold;
	rows = xcalloc(n + 1, sizeof *rows);
	context_today(today, ev);
	kv_init(&rows[0]);
	kv_set(&rows[0], "rating", kv_get(&ev->f, "rating"));
	kv_set(&rows[0], "stars", kv_get(&ev->f, "stars"));
	if (comment)
		kv_set(&rows[0], "comment", comment);
	kv_set(&rows[0], "date", today);
	for (size_t i = 0; i < n; i++)
		rows[i + 1] = old[i], kv_init(&old[i]);
	rec_reviews_put(s, car, rows, n + 1);
	store_records_free(rows, n + 1);
	store_records_free(old, nold); /* the rows moved out are empty */
	return 0;
}

int management_apply(struct store *s, const struct event *ev, struct outbox *out, struct rerr *e)
{
	enum event_kind kind = event_kind_of(ev);

	if (kind == EV_CAR_ADD)
		return apply_add(s, ev, out, e);
	if (kind == EV_CAR_SET)
		return apply_set(s, ev, out, e);
	if (kind == EV_CAR_RM)
		return apply_rm(s, ev, out, e);
	if (kind == EV_BLOCK_ACCEPTED || kind == EV_BLOCK_ENDED)
		return apply_block(s, ev, kind == EV_BLOCK_ACCEPTED, e);
	if (kind == EV_RATING_ACCEPTED)
		return apply_rating(s, ev, e);
	if (booking_next(kind) != NULL)
		return apply_booking(s, ev, booking_next(kind), e);
	return 0;
}

int management_list(struct store *s, struct kv **recs, size_t *n, struct rerr *e)
{
	int rc = rec_cars(s, CTX_MANAGEMENT, recs, n, e);

	for (size_t i = 0; i < *n; i++) {
		if (kv_get(&(*recs)[i], "car") == NULL)
			kv_set(&(*recs)[i], "car", "?");
		derive(&(*recs)[i]);
	}
	context_sort_cars(*recs, *n);
	return rc;
}

int management_bookings(struct store *s, const char *car, struct kv **recs, size_t *n,
			struct rerr *e)
{
	int rc = rec_rows(s, CTX_MANAGEMENT, OWNER_CAR, car, recs, n, e);

	context_sort(*recs, *n);
	return rc;
}

int management_reviews(struct store *s, const char *car, struct kv **recs, size_t *n,
		       struct rerr *e)
{
	int rc = rec_reviews(s, car, recs, n, e);

	for (size_t i = MANAGEMENT_REVIEWS; i < *n; i++)
		kv_free(&(*recs)[i]);
	if (*n > MANAGEMENT_REVIEWS)
		*n = MANAGEMENT_REVIEWS;
	return rc;
}

/* ---- the report ---- */

struct acc {
	char key[64];
	long long bookings, nights, revenue, refunds, used, denom, stars_sum, ratings;
};

struct accs {
	struct acc *v;
	size_t n;
};

static struct acc *acc_new(struct accs *a, const char *key)
{
	struct acc *x;

	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	x = &a->v[a->n++];
	memset(x, 0, sizeof *x);
	snprintf(x->key, sizeof x->key, "%s", key);
	return x;
}

/* Whether a car whose registrations are dates is registered at the end of day. */
static int registered_on(const char *dates, long day)
{
	char d[11];
	int n = 0, in = 0, used;

	while (dates && sscanf(dates, "%10s%n", d, &used) == 1) {
		if (valid_date(d) && date_days(d) <= day)
			in = n % 2 == 0; /* added, or removed */
		n++;
		dates += used;
	}
	return in;
}

/* Sums one car's month record r into x: the entries whose from is in [from, to), and
 * the nights used in [start, end) of month, whose first day is first. Whether any
 * were (the car was used in the period). */
static int acc_add(struct acc *x, const struct kv *r, long from, long to, long first, long start,
		   long end)
{
	const char *used = kv_get(r, "used");
	char id[ID_LEN];
	struct entry y;
	size_t len;
	int in = 0;

	for (const char *v = kv_get(r, "bookings"); v && *v; v += len + (v[len] == ',')) {
		if ((len = entry_parse(id, &y, v)) == 0)
			break;
		if (date_days(y.from) < from || date_days(y.from) >= to)
			continue;
		in = 1;
		if (!strcmp(y.status, ST_PAY_CANCELED)) {
			x->refunds += y.amount;
			x->revenue += y.late; /* refunded as it came back late: the fee is owed */
			continue;
		}
		x->bookings++;
		x->nights += y.nights;
		x->revenue += y.amount + y.late;
		if (y.stars > 0)
			x->stars_sum += y.stars, x->ratings++;
	}
	for (long d = start; used && strlen(used) == 31 && d < end; d++)
		if (used[d - first] != 'f')
			x->used++, in = 1;
	return in;
}

static int cmp_acc(const void *a, const void *b)
{
	return strcmp(((const struct acc *)a)->key, ((const struct acc *)b)->key);
}

static void acc_row(struct kv *row, const char *keyname, const struct acc *x)
{
	kv_init(row);
	kv_set(row, keyname, x->key);
	kv_setnum(row, "bookings", x->bookings);
	kv_setnum(row, "nights", x->nights);
	kv_setnum(row, "revenue", x->revenue);
	kv_setnum(row, "refunds", x->refunds);
	if (x->denom > 0)
		set_tenths(row, "utilisation", x->used * 100, x->denom);
	else /* a month with no car registered on its last day: nothing to divide by */
		kv_set(row, "utilisation", "");
	if (x->ratings > 0)
		set_tenths(row, "stars", x->stars_sum, x->ratings);
	else
		kv_set(row, "stars", "");
}

int management_report(struct store *s, const char *from, const char *to, int by_month,
		      struct kv **rows, size_t *n, struct kv *total, struct rerr *e)
{
	long pfrom = date_days(from), pto = date_days(to), first = pfrom;
	struct accs a = {NULL, 0};
	struct acc sum;
	struct kv *fleet = NULL;
	size_t nfleet = 0;
	int rc = rec_fleet(s, &fleet, &nfleet, e);

	*rows = NULL;
	*n = 0;
	memset(&sum, 0, sizeof sum);
	snprintf(sum.key, sizeof sum.key, "total");
	for (int y, m, d; rc == 0 && first < pto;) {
		char month[11], ym[8];
		struct kv *recs;
		size_t nrecs;
		long start, end, cars = 0;
		date_from_days(first, &y, &m, &d);
		first -= d - 1; /* the first day of the month */
		snprintf(month, sizeof month, "%04d-%02d-01", y, m);
		snprintf(ym, sizeof ym, "%.7s", month);
		date_from_days(first + 31, &y, &m, &d);
		end = first + 31 - (d - 1); /* the first day of the next month */
		start = first > pfrom ? first : pfrom;
		if (end > pto)
			end = pto;
		if ((rc = rec_month_cars(s, month, &recs, &nrecs, e)) < 0)
			break;
		for (size_t i = 0; i < nrecs; i++) {
			const char *car = kv_get(&recs[i], "car");
			if (car == NULL || !valid_name(car))
				continue;
			if (!acc_add(acc_new(&a, by_month ? ym : car), &recs[i], pfrom, pto, first, start, end) &&
			    !by_month)
				a.n--; /* not used in the period: a row if registered at its end */
		}
		store_records_free(recs, nrecs);
		if (by_month) {
			for (size_t i = 0; i < nfleet; i++)
				cars += registered_on(kv_get(&fleet[i], "dates"), end - 1);
			acc_new(&a, ym)->denom = (end - start) * cars;
		}
		first = end; /* the next month's first day, or the end of the period */
	}
	if (!by_month) /* every car registered at the end of the period has a row */
		for (size_t i = 0; i < nfleet; i++)
			if (kv_get(&fleet[i], "car") && registered_on(kv_get(&fleet[i], "dates"), pto - 1))
				acc_new(&a, kv_get(&fleet[i], "car"));
	store_records_free(fleet, nfleet);
	if (a.n > 1)
		qsort(a.v, a.n, sizeof *a.v, cmp_acc);
	*rows = xcalloc(a.n + 1, sizeof **rows);
	for (size_t i = 0; rc == 0 && i < a.n;) {
		struct acc x = a.v[i];
		for (i++; i < a.n && strcmp(a.v[i].key, x.key) == 0; i++) {
			x.bookings += a.v[i].bookings, x.nights += a.v[i].nights;
			x.revenue += a.v[i].revenue, x.refunds += a.v[i].refunds;
			x.used += a.v[i].used, x.denom += a.v[i].denom;
			x.stars_sum += a.v[i].stars_sum, x.ratings += a.v[i].ratings;
		}
		if (!by_month)
			x.denom = pto - pfrom;
		acc_row(&(*rows)[(*n)++], by_month ? "month" : "car", &x);
		sum.bookings += x.bookings, sum.nights += x.nights, sum.revenue += x.revenue;
		/* a month with no car to divide by has no utilisation to add */
		sum.refunds += x.refunds, sum.used += x.denom > 0 ? x.used : 0, sum.denom += x.denom;
		sum.stars_sum += x.stars_sum, sum.ratings += x.ratings;
	}
	acc_row(total, by_month ? "month" : "car", &sum);
	free(a.v);
	return rc;
}
