/* gen HOME CUSTOMER CAR N [START]: spools N valid signed reservations of CAR by
 * CUSTOMER, one night each from day START on, without spawning a process each:
 * the load for the dispatcher's figures. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "event.h"
#include "home.h"
#include "spool.h"

int main(int argc, char **argv)
{
	struct home h;
	struct seckey k;
	struct rerr e = {0};
	long n, start;
	char *path;

	if (argc < 5)
		return 64;
	n = atol(argv[4]);
	start = argc > 5 ? atol(argv[5]) : 0;
	home_resolve(&h, argv[1]);
	path = xasprintf("%s/%s.key", h.keys, argv[2]);
	if (seckey_load(&k, path, &e) < 0) {
		fprintf(stderr, "gen: %s\n", e.msg);
		return e.code;
	}
	for (long i = 0; i < n; i++) {
		struct event ev;
		char from[11], to[11];
		long d = date_days("2040-01-01") + start + i;
		time_t t0 = (time_t)d * 86400, t1 = t0 + 86400;
		strftime(from, sizeof from, "%Y-%m-%d", gmtime(&t0));
		strftime(to, sizeof to, "%Y-%m-%d", gmtime(&t1));
		event_init(&ev);
		event_start(&ev, "reserve", argv[2]);
		kv_set(&ev.f, "car", argv[3]);
		kv_set(&ev.f, "from", from);
		kv_set(&ev.f, "to", to);
		event_seal(&ev, &k);
		if (spool_write(h.spool, kv_get(&ev.f, "id"), ev.raw, ev.len, &e) < 0) {
			fprintf(stderr, "gen: %s\n", e.msg);
			return e.code;
		}
		event_free(&ev);
	}
	seckey_free(&k);
	free(path);
	home_free(&h);
	return 0;
}
