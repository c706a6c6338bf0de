/* kv: a flat YAML mapping of scalars, the shape of every event and state file. */
#ifndef RENTAL_KV_H
#define RENTAL_KV_H
#include <errno.h>
#include <stddef.h>
#include "util.h"

struct kv {
	size_t n, cap;
	char **k, **v;
};

void kv_init(struct kv *m);
void kv_free(struct kv *m);
/* Sets key to value, replacing an existing value; keeps insertion order. */
void kv_set(struct kv *m, const char *key, const char *value);
/* kv_set, taking key and value (malloc'd) as they are. */
void kv_take(struct kv *m, char *key, char *value);
void kv_setf(struct kv *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kv_setnum(struct kv *m, const char *key, long long v);
/* The value of key, or NULL. */
const char *kv_get(const struct kv *m, const char *key);
/* The value of key as a number, or dflt if absent or not a number. */
long long kv_num(const struct kv *m, const char *key, long long dflt);
void kv_copy(struct kv *dst, const struct kv *src);

/* Parses a YAML document that must be one mapping of plain or quoted scalars:
 * no aliases, anchors, tags, nesting, duplicate keys, empty keys, or keys outside
 * [a-z_]. `what` names the input in errors. Returns 0 or -1 with e set (RX_DATA). */
int kv_parse(struct kv *m, const char *buf, size_t len, const char *what, struct rerr *e);
/* kv_parse by libyaml alone, without the reader of kv_format's own lines in front of
 * it: what kv_parse must always agree with (test_kv). */
int kv_parse_yaml(struct kv *m, const char *buf, size_t len, const char *what, struct rerr *e);
/* Reads the file path (at most 64 KiB) and parses it as kv_parse does: 0; 1 if there
 * is none; -1 with e (RX_IO: a file the home's own code wrote that does not read). *m
 * is set up either way (the caller frees it). */
int kv_load(const char *path, struct kv *m, struct rerr *e);
/* Formats as "key: value\n" lines, quoting values that need it. Caller frees. */
char *kv_format(const struct kv *m, size_t *len);
/* A call of libyaml, errno cleared first for kv_yaml_failed: kv_yaml_call(f(...)). */
#define kv_yaml_call(call) (errno = 0, (call))
/* After a libyaml call failed: memory it could not get ends the program as ours does
 * (out_of_memory); else -1 with e (code) saying where in what and why. */
struct yaml_parser_s;
int kv_yaml_failed(const struct yaml_parser_s *p, int code, const char *what, struct rerr *e);
#endif
