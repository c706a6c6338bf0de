/* gen HOME CUSTOMER CAR N [START [CUSTOMERS [CARS]]]: spools N valid signed
 * reservations, one night each, without spawning a process each: the load for the
 * dispatcher's figures. With CUSTOMERS (CARS) above 1, reservation i is made by
 * CUSTOMER<i % CUSTOMERS> for CAR<i % CARS> (keys and cars must be registered), on
 * the night START + i / CARS days after today; a night past the days a stay may start
 * ahead (limit.h) is refused, so that no figure is taken on rejections. GEN_NOSYNC=1
 * skips the fsyncs, to build a large history fast (the figures themselves are taken
 * on fsynced spools). GEN_AIMED makes ids as a hostile client may: 1, the first four
 * hex digits (an id's shard folder) all 0; 2, the last three (the leaf of its owner's
 * tables) all 0; the rest random. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "event.h"
#include "home.h"
#include "limit.h"
#include "spool.h"

static int spool_fast(const char *spool, const char *id, const char *buf, size_t len, struct rerr *e)
{
	struct timespec ts;
	char *dst;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	dst = xasprintf("%s/new/%011lld%09ld.%s", spool, (long long)ts.tv_sec, ts.tv_nsec, id); /* as spool_write */
	rc = fs_write_atomic(dst, buf, len, 0, e);
	free(dst);
	return rc;
}

static char *name_of(const char *base, long count, long i)
{
	return count > 1 ? xasprintf("%s%ld", base, i % count) : xstrdup(base);
}

int main(int argc, char **argv)
{
	struct home h;
	struct rerr e = {0};
	long n, start, ncust, ncars;
	int fast = getenv("GEN_NOSYNC") && strcmp(getenv("GEN_NOSYNC"), "1") == 0;
	int aimed = getenv("GEN_AIMED") ? atoi(getenv("GEN_AIMED")) : 0;

	if (argc < 5) {
		fprintf(stderr, "usage: gen HOME CUSTOMER CAR N [START [CUSTOMERS [CARS]]]\n");
		return 64;
	}
	n = atol(argv[4]);
	start = argc > 5 ? atol(argv[5]) : 0;
	ncust = argc > 6 ? atol(argv[6]) : 1;
	ncars = argc > 7 ? atol(argv[7]) : 1;
	if (ncust < 1 || ncars < 1 || n < 0 || start < 0)
		return 64;
	if (n > 0 && start + (n - 1) / ncars > LIMIT_AHEAD_DAYS) {
		fprintf(stderr, "gen: night %ld after today: a stay starts at most %d days ahead\n",
			start + (n - 1) / ncars, LIMIT_AHEAD_DAYS);
		return 65;
	}
	char today[11];
	today_utc(today);
	home_resolve(&h, argv[1]);
	struct seckey *keys = xcalloc((size_t)ncust, sizeof *keys);
	for (long c = 0; c < ncust; c++) {
		char *who = name_of(argv[2], ncust, c), *path = xasprintf("%s/%s.key", h.keys, who);
		int r = seckey_load(&keys[c], path, &e);
		free(path);
		free(who);
		if (r < 0) {
			fprintf(stderr, "gen: %s\n", e.msg);
			return e.code;
		}
	}
	for (long i = 0; i < n; i++) {
		struct event ev;
		char from[11], to[11];
		long d = date_days(today) + start + i / ncars;
		time_t t0 = (time_t)d * 86400, t1 = t0 + 86400;
		char *who = name_of(argv[2], ncust, i), *car = name_of(argv[3], ncars, i);
		strftime(from, sizeof from, "%Y-%m-%d", gmtime(&t0));
		strftime(to, sizeof to, "%Y-%m-%d", gmtime(&t1));
		event_init(&ev);
		event_start(&ev, "reserve", who);
		if (aimed) {
			char id[ID_LEN];
			snprintf(id, sizeof id, "%s", kv_get(&ev.f, "id"));
			if (aimed == 1)
				memcpy(id + 4, "0000", 4);
			else
				memcpy(id + strlen(id) - 3, "000", 3);
			kv_set(&ev.f, "id", id);
		}
		kv_set(&ev.f, "car", car);
		kv_set(&ev.f, "from", from);
		kv_set(&ev.f, "to", to);
		event_seal(&ev, &keys[i % ncust]);
		int r = fast ? spool_fast(h.spool, kv_get(&ev.f, "id"), ev.raw, ev.len, &e)
			: spool_write(h.spool, kv_get(&ev.f, "id"), ev.raw, ev.len, &e);
		event_free(&ev);
		free(who);
		free(car);
		if (r < 0) {
			fprintf(stderr, "gen: %s\n", e.msg);
			return e.code;
		}
	}
	for (long c = 0; c < ncust; c++)
		seckey_free(&keys[c]);
	free(keys);
	home_free(&h);
	return 0;
}
