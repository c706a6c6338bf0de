/* Unit tests of kv (flat YAML), event parsing and field checks, and config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "event.h"
#include "kv.h"
#include "util.h"

static int parse(const char *text, struct kv *m, struct rerr *e)
{
	return kv_parse(m, text, strlen(text), "t", e);
}

static void kv_round_trip_quotes_what_needs_it(void **state)
{
	struct kv m, back;
	struct rerr e = {0};
	size_t len;
	char *text;

	kv_init(&m);
	kv_set(&m, "car", "car01");
	kv_set(&m, "comment", "line one\nline \"two\": #x\\");
	kv_set(&m, "model", "");
	kv_set(&m, "time", "2031-08-06T10:00:00Z");
	text = kv_format(&m, &len);
	assert_non_null(strstr(text, "car: car01\n"));
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, m.n); /* a newline in a value never makes a second line */
	assert_int_equal(kv_parse(&back, text, len, "t", &e), 0);
	for (size_t i = 0; i < m.n; i++)
		assert_string_equal(kv_get(&back, m.k[i]), m.v[i]);
	free(text);
	kv_free(&m);
	kv_free(&back);
}

/* kv_parse reads kv_format's own lines without libyaml: whatever it is given, it must
 * answer as libyaml does (the same map, or the same error). */
static void same_as_yaml(const char *text, size_t len)
{
	struct kv a, b;
	struct rerr ea = {0}, eb = {0};
	int ra = kv_parse(&a, text, len, "t", &ea), rb = kv_parse_yaml(&b, text, len, "t", &eb);

	if (ra != rb)
		fail_msg("kv_parse %d, libyaml %d on [%.*s]", ra, rb, (int)len, text);
	if (ra < 0) {
		assert_int_equal(ea.code, eb.code);
		assert_string_equal(ea.msg, eb.msg);
		return;
	}
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.k[i], b.k[i]);
		assert_string_equal(a.v[i], b.v[i]);
	}
	kv_free(&a);
	kv_free(&b);
}

static char *random_value(void)
{
	static const char *const bits[] = {
		"a", "Z", "9", "0", ".", "_", "-", "+", "/", "=", " ", ":", ": ", "#", " #", "\"",
		"\\", "\n", "\t", "\r", "'", "{", "[", "&", "*", "!", "|", ">", "%", "@", "`", ",",
		"?", "~", "null", "yes", "\xc3\xa9", "\xe2\x80\xa8", "\xc2\x80", "\x7f", "\x01",
	};
	char buf[64] = "";
	int n = rand() % 6;

	for (int i = 0; i < n; i++)
		strcat(buf, bits[rand() % (sizeof bits / sizeof bits[0])]);
	return xstrdup(buf);
}

static void kv_reads_its_own_lines_as_libyaml_does(void **state)
{
	static const char *const texts[] = {
		"a: b\n", "a: b", "a: \"x y\"\n", "a:  b\n", "a: b \n", "a: b # c\n", "a: \"\"\n",
		"a: \n", "a: b\n\n", "a: b\r\n", "\xef\xbb\xbf" "a: b\n", "a: 'b'\n", "a: \"b\" \n",
		"a: ~\n", "a: null\n", "a: -1\n", "a: 1e3\n", "a: b\nc: d\na: e\n", "a:b\n",
		"_: x\n", "a: b\n...\n", "a: b\n---\n", "a: \"b\\\"\"\n", "a: b\n c: d\n",
		"a: \"b\nc\"\n", "{}\n", "", "\n", "a: b\0c\n", "a: b=c+d/e.f_g-h\n",
	};
	struct kv m;

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		same_as_yaml(texts[i], strlen(texts[i]) + (strstr(texts[i], "b\0c") ? 3 : 0));
	srand(4);
	for (int round = 0; round < 2000; round++) {
		size_t len;
		kv_init(&m);
		for (int i = rand() % 4 + 1; i > 0; i--) {
			char key[8] = {0}, *v = random_value();
			for (int j = rand() % 3; j >= 0; j--)
				key[j] = "ab_z"[rand() % 4];
			kv_set(&m, key, v);
			free(v);
		}
		char *text = kv_format(&m, &len);
		struct kv back;
		struct rerr e = {0};
		same_as_yaml(text, len);
		assert_int_equal(kv_parse(&back, text, len, "t", &e), 0);
		for (size_t i = 0; i < m.n; i++)
			assert_string_equal(kv_get(&back, m.k[i]), m.v[i]);
		kv_free(&back);
		/* And the same text broken: a byte changed, dropped or added. */
		for (int k = 0; k < 10; k++) {
			char *t = xcalloc(1, len + 2);
			size_t at = (size_t)rand() % len, n = len;
			const char *pool = " :#\"\\\n\t-'{}[]&*!|>aZ9._+/=\r\x80\xff";
			char c = pool[rand() % (int)strlen(pool)];
			memcpy(t, text, len);
			if (k % 3 == 0)
				t[at] = c;
			else if (k % 3 == 1)
				memmove(t + at, t + at + 1, len - at - 1), n--;
			else
				memmove(t + at + 1, t + at, len - at), t[at] = c, n++;
			same_as_yaml(t, n);
			free(t);
		}
		free(text);
		kv_free(&m);
	}
}

static void kv_refuses_what_is_not_a_flat_mapping(void **state)
{
	static const char *bad[] = {
		"a: 1\na: 2\n",            /* duplicate */
		"a: &x 1\nb: *x\n",        /* anchor and alias */
		"a: {b: 1}\n",             /* nested */
		"a: [1, 2]\n",             /* sequence */
		"- a\n",                   /* not a mapping */
		"A: 1\n",                  /* key outside [a-z_] */
		"a: !!str 1\n",            /* tag */
		"a: 1\n---\nb: 2\n",       /* two documents */
		"a: \"\xff\"\n",           /* invalid UTF-8 */
		"a: 'unterminated\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct kv m;
		struct rerr e = {0};
		assert_int_equal(parse(bad[i], &m, &e), -1);
		assert_int_equal(e.code, RX_DATA);
		assert_true(strncmp(e.msg, "t", 1) == 0);
	}
}

/* Found by fuzz_event: these came back changed or not at all (tests/fuzz/crashes). */
static void kv_round_trip_of_unicode_line_breaks_and_controls(void **state)
{
	static const char *values[] = {
		"A\xc2\x80" "B",          /* U+0080, a C1 control */
		"A\xc2\x85" "B",          /* U+0085, NEL */
		"x \xe2\x80\xa8y",       /* U+2028 after a blank */
		"x \xe2\x80\xa9y",       /* U+2029 */
		"\xef\xbf\xbe",          /* U+FFFE */
		"\xef\xbf\xbf",          /* U+FFFF */
		"\xef\xbb\xbf" "bom",    /* U+FEFF */
		"caf\xc3\xa9 \xf0\x9f\x9a\x97", /* plain UTF-8 stays as it is */
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct kv m, back;
		struct rerr e = {0};
		size_t len;
		char *text;

		kv_init(&m);
		kv_set(&m, "comment", values[i]);
		text = kv_format(&m, &len);
		assert_int_equal(kv_parse(&back, text, len, "t", &e), 0);
		assert_string_equal(kv_get(&back, "comment"), values[i]);
		free(text);
		kv_free(&m);
		kv_free(&back);
	}
}

static void kv_empty_and_long_keys(void **state)
{
	struct kv m, back;
	struct rerr e = {0};
	size_t len;
	char *text, key[80];

	kv_init(&m);
	text = kv_format(&m, &len);
	assert_int_equal(kv_parse(&back, text, len, "t", &e), 0);
	assert_int_equal(back.n, 0);
	free(text);
	memset(key, 'a', 65);
	key[65] = '\0';
	snprintf(key + 65, sizeof key - 65, ": v\n");
	assert_int_equal(parse(key, &back, &e), -1);
}

static void kv_numbers(void **state)
{
	struct kv m;
	struct rerr e = {0};

	assert_int_equal(parse("a: 12\nb: x\n", &m, &e), 0);
	assert_int_equal(kv_num(&m, "a", -1), 12);
	assert_int_equal(kv_num(&m, "b", -1), -1);
	assert_int_equal(kv_num(&m, "c", 7), 7);
	kv_free(&m);
}

/* alice's reservation of car01, signed with k. */
static void sealed_reservation(struct event *ev, const struct seckey *k)
{
	event_init(ev);
	event_start(ev, "reserve", "alice");
	kv_set(&ev->f, "car", "car01");
	kv_set(&ev->f, "from", "2031-08-06");
	kv_set(&ev->f, "to", "2031-08-08");
	event_seal(ev, k);
}

static void event_seal_parse_verify(void **state)
{
	struct seckey k, other;
	struct event ev, back;
	struct rerr e = {0};

	assert_int_equal(seckey_generate(&k, &e), 0);
	assert_int_equal(seckey_generate(&other, &e), 0);
	sealed_reservation(&ev, &k);
	assert_int_equal(event_parse(&back, ev.raw, ev.len, "f", &e), 0);
	assert_true(event_verify(&back, k.pk));
	assert_false(event_verify(&back, other.pk));
	assert_true(valid_id(kv_get(&back.f, "id"), "res"));
	/* One flipped byte anywhere in the signed part breaks the signature. */
	for (size_t i = 0; i < back.body_len; i += 7) {
		struct event t;
		char *copy = strdup(ev.raw);
		copy[i] ^= 0x01;
		if (event_parse(&t, copy, ev.len, "f", &e) == 0) {
			assert_false(event_verify(&t, k.pk));
			event_free(&t);
		}
		free(copy);
	}
	/* A verdict reached ahead (on another core) holds for its own key only. */
	assert_int_equal(back.verdict, 0);
	event_preverify(&back, other.pk);
	assert_int_equal(back.verdict, -1);
	assert_false(event_verify(&back, other.pk));
	assert_true(event_verify(&back, k.pk)); /* not the verdict's key: checked anew */
	event_preverify(&back, k.pk);
	assert_int_equal(back.verdict, 1);
	assert_true(event_verify(&back, k.pk));
	assert_false(event_verify(&back, other.pk));
	/* A parse starts with no verdict. */
	event_free(&back);
	assert_int_equal(event_parse(&back, ev.raw, ev.len, "f", &e), 0);
	assert_int_equal(back.verdict, 0);
	event_free(&back);
	event_free(&ev);
	seckey_free(&k);
	seckey_free(&other);
}

static void event_shape_errors(void **state)
{
	static const char *bad[] = {
		"",
		"id: res-0123456789abcdef\n",                 /* no signature line */
		"id: res-0123456789abcdef\nsignature: AAAA",  /* truncated: no final newline */
	};
	struct event ev;
	struct rerr e = {0};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(event_parse(&ev, bad[i], strlen(bad[i]), "f", &e), -1);
	/* Unknown fields and types are refused. */
	const char *unk = "id: res-0123456789abcdef\ntype: reserve\ntime: \"2031-01-01T00:00:00Z\"\n"
			  "actor: alice\ncar: c\nfrom: 2031-01-02\nto: 2031-01-03\nevil: 1\nsignature: AAAA\n";
	assert_int_equal(event_parse(&ev, unk, strlen(unk), "f", &e), -1);
	assert_non_null(strstr(e.msg, "unknown field"));
	const char *typ = "id: res-0123456789abcdef\ntype: steal\ntime: \"2031-01-01T00:00:00Z\"\n"
			  "actor: alice\nsignature: AAAA\n";
	assert_int_equal(event_parse(&ev, typ, strlen(typ), "f", &e), -1);
	assert_non_null(strstr(e.msg, "unknown event type"));
}

static void validation_helpers(void **state)
{
	assert_true(valid_name("car01"));
	assert_false(valid_name(".."));
	assert_false(valid_name("a/b"));
	assert_false(valid_name(""));
	assert_false(valid_name("car\n1"));
	assert_true(valid_date("2032-02-29"));
	assert_false(valid_date("2031-02-29"));
	assert_false(valid_date("2031-13-01"));
	assert_false(valid_date("31-01-01"));
	assert_int_equal(date_days("1970-01-02"), 1);
	assert_int_equal(date_days("2031-08-08") - date_days("2031-08-06"), 2);
	long long v;
	assert_true(parse_money("100000", &v));
	assert_int_equal(v, 100000);
	assert_false(parse_money("-1", &v));
	assert_false(parse_money("1e5", &v));
	assert_false(parse_money("", &v));
	/* Any number of digits, up to 2^53 - 1, and never an overflow past it. */
	assert_true(parse_money("1000000000000000", &v));
	assert_true(v == 1000000000000000LL);
	assert_true(parse_money("9007199254740991", &v));
	assert_true(v == 9007199254740991LL);
	assert_false(parse_money("9007199254740992", &v));
	assert_false(parse_money("9223372036854775808", &v));
	assert_false(parse_money("99999999999999999999999999999999", &v));
	assert_true(parse_money("00000000000000000000000000000042", &v));
	assert_int_equal(v, 42);
	assert_false(valid_text("a\x01", NULL));
	assert_true(valid_text("caf\xc3\xa9", NULL));
	assert_false(valid_text("\xc3", NULL));
}

/* Ids made in one second share their first four hex digits, the shard of every
 * folder keyed by id, so that a batch touches few folders; the rest is random. */
static void ids_of_one_second_share_their_shard(void **state)
{
	char a[ID_LEN], b[ID_LEN], slot[5], sa[6], sb[6], o[ID_LEN];
	time_t t0, t1;
	int tries = 0;

	(void)state;
	do {
		t0 = time(NULL);
		event_new_id(a, "res");
		event_new_id(b, "res");
		t1 = time(NULL);
	} while (t0 != t1 && ++tries < 5);
	assert_int_equal(t0, t1);
	assert_true(valid_id(a, "res"));
	assert_true(valid_id(b, "res"));
	assert_string_not_equal(a, b);
	snprintf(slot, sizeof slot, "%02x%02x", (unsigned)((unsigned long long)t0 & 0xff),
		 (unsigned)(((unsigned long long)t0 >> 8) & 0xff));
	assert_memory_equal(a + 4, slot, 4);
	shard_id(sa, a);
	shard_id(sb, b);
	assert_string_equal(sa, sb);
	assert_string_not_equal(a + 8, b + 8);

	/* An outcome goes with its source; the hashed form is what old logs hold. */
	event_outcome_id(o, a, "reservation.accepted", NULL, 0);
	assert_true(valid_id(o, "out"));
	assert_memory_equal(o + 4, a + 4, 4);
	event_outcome_id(o, "res-e82332980319dbeb", "reservation.accepted", NULL, 1);
	assert_string_equal(o, "out-82ee68d116aaefa3");
	event_outcome_id(o, "res-e82332980319dbeb", "reservation.accepted", NULL, 0);
	assert_string_equal(o, "out-e82382ee68d116aa");
}

static void config_errors_name_file_and_line(void **state)
{
	char path[] = "/tmp/rental-cfg-XXXXXX";
	int fd = mkstemp(path);
	struct cfg c;
	struct rerr e = {0};
	const char *text = "currency: KRW\npayment:\n  breaker: {max_pending: lots}\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	assert_int_equal(cfg_load(&c, path, NULL, &e), -1);
	assert_int_equal(e.code, RX_CONFIG);
	char want[64];
	snprintf(want, sizeof want, "%s:3:", path);
	assert_non_null(strstr(e.msg, want));
	unlink(path);
	assert_int_equal(cfg_load(&c, path, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "missing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kv_round_trip_quotes_what_needs_it),
		cmocka_unit_test(kv_refuses_what_is_not_a_flat_mapping),
		cmocka_unit_test(kv_reads_its_own_lines_as_libyaml_does),
		cmocka_unit_test(kv_numbers),
		cmocka_unit_test(kv_round_trip_of_unicode_line_breaks_and_controls),
		cmocka_unit_test(kv_empty_and_long_keys),
		cmocka_unit_test(event_seal_parse_verify),
		cmocka_unit_test(event_shape_errors),
		cmocka_unit_test(validation_helpers),
		cmocka_unit_test(ids_of_one_second_share_their_shard),
		cmocka_unit_test(config_errors_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
