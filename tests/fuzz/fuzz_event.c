/* fuzz_event: libFuzzer target for the event file parser and the kv (flat YAML) codec.
 *
 * For every input:
 *  1. kv_parse the whole input: it must answer as kv_parse_yaml (libyaml alone) does,
 *     the same map or the same error (kv_parse reads kv_format's own lines itself); on
 *     success, kv_format it and kv_parse the output again: the re-parse must succeed
 *     and give the same keys and values in the same order.
 *  2. event_parse the input; on success, event_check_fields must agree (event_parse
 *     already ran it), event_verify runs against fixed public keys (those that signed
 *     the seed events in corpus/event/), the fields are kv round-tripped as in 1, and
 *     the event is re-sealed with a fixed key: the sealed file must parse back to the
 *     same fields and verify. That is what any writer of events relies on.
 * Any broken property is abort(), after printing what went wrong on stderr.
 *
 * Known bugs (found by this target, inputs in tests/fuzz/crashes/), all in kv_format:
 *  - it writes U+0080..U+009F, U+2028, U+2029, U+FFFE and U+FFFF raw inside double
 *    quotes, and YAML reads them back otherwise: U+0080..U+0084, U+0086..U+009F, U+FFFE
 *    and U+FFFF as an error ("control characters are not allowed"), U+0085 (NEL) as a
 *    line break folded to a space, U+2028/U+2029 as line breaks that eat the blanks
 *    before them (a scan of every code point finds no others);
 *  - an empty mapping (kv_parse accepts "{}") is formatted as "", which kv_parse refuses;
 *  - a key longer than 1024 characters (kv_parse accepts "? KEY\n: v") is written as a
 *    simple key "KEY: v", which YAML limits to 1024 characters.
 * With FUZZ_SKIP_KNOWN=1 in the environment the round-trip properties are not checked
 * for such fields and mappings, so that a run can look past these bugs; without it (the
 * default) every property is checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "kv.h"
#include "sign.h"

/* The public keys of the home the seed events were made in (admin, alice, dispatcher),
 * so that the real events of the corpus take the "signature good" path. */
static const char *const seed_pks[] = {
	"eRo0U0O/uqCSaIw3denYlZ1C+uxhKByS1IFJh1G6I1g=", /* admin */
	"EDDtntXfJiEkQYBr76BcDUDg5powBxwl67izolnS1IU=", /* alice */
	"eRJ1aaHEOiuWV7iSHfIAA/G4HuuQIFHzCvmxWZLvRVo=", /* dispatcher */
};
#define NPK (sizeof seed_pks / sizeof seed_pks[0])
static unsigned char pks[NPK][crypto_sign_PUBLICKEYBYTES];
static struct seckey fixed; /* derived from a fixed seed, to re-seal events */
static int skip_known;      /* $FUZZ_SKIP_KNOWN=1 */

static void hexdump(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;

	fprintf(stderr, "%s (%zu bytes): ", label, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", b[i]);
	fputc('\n', stderr);
}

static void fail(const char *why, const void *in, size_t inlen, const void *out, size_t outlen)
{
	fprintf(stderr, "fuzz_event: PROPERTY BROKEN: %s\n", why);
	hexdump("input", in, inlen);
	if (out)
		hexdump("kv_format output", out, outlen);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rerr e = {0};
	unsigned char seed[crypto_sign_SEEDBYTES];

	if (sig_init(&e) < 0) {
		fprintf(stderr, "fuzz_event: %s\n", e.msg);
		abort();
	}
	for (size_t i = 0; i < NPK; i++)
		if (sig_pk_decode(pks[i], seed_pks[i]) != 0)
			abort();
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (unsigned char)(0x42 + i);
	fixed.sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (fixed.sk == NULL)
		abort();
	crypto_sign_seed_keypair(fixed.pk, fixed.sk, seed);
	skip_known = getenv("FUZZ_SKIP_KNOWN") && strcmp(getenv("FUZZ_SKIP_KNOWN"), "1") == 0;
	if (skip_known)
		fprintf(stderr, "fuzz_event: FUZZ_SKIP_KNOWN=1: not checking round trips of "
			"values holding U+0080..U+009F, U+2028, U+2029, U+FFFE, U+FFFF, "
			"empty maps, keys over 1024 bytes (known kv_format bugs)\n");
	return 0;
}

static int kv_equal(const struct kv *a, const struct kv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->k[i], b->k[i]) != 0 || strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* A mapping kv_format is known to get wrong: empty, a key over 1024 bytes, or a value
 * holding U+0080..U+009F (UTF-8 C2 80..C2 9F), U+2028, U+2029 (E2 80 A8/A9), U+FFFE or
 * U+FFFF (EF BF BE/BF). */
static int has_known_bug(const struct kv *m)
{
	if (m->n == 0)
		return 1;
	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->k[i]) > 1024)
			return 1;
	for (size_t i = 0; i < m->n; i++)
		for (const unsigned char *p = (const unsigned char *)m->v[i]; *p; p++)
			if ((p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
			    (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) ||
			    (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)))
				return 1;
	return 0;
}

/* kv_format(m) must parse back into exactly m. */
static void kv_roundtrip(const struct kv *m, const uint8_t *data, size_t size)
{
	struct kv again;
	struct rerr e = {0};
	size_t flen = 0;
	char *out;

	if (skip_known && has_known_bug(m))
		return;
	out = kv_format(m, &flen);

	if (out == NULL)
		fail("kv_format returned NULL", data, size, NULL, 0);
	if (strlen(out) != flen)
		fail("kv_format output holds a NUL byte", data, size, out, flen);
	if (kv_parse(&again, out, flen, "roundtrip", &e) < 0) {
		fprintf(stderr, "fuzz_event: re-parse error: %s\n", e.msg);
		fail("kv_parse(kv_format(m)) failed", data, size, out, flen);
	}
	if (!kv_equal(m, &again)) {
		for (size_t i = 0; i < m->n || i < again.n; i++)
			fprintf(stderr, "  [%zu] %s=%s  |  %s=%s\n", i, i < m->n ? m->k[i] : "-",
				i < m->n ? m->v[i] : "-", i < again.n ? again.k[i] : "-",
				i < again.n ? again.v[i] : "-");
		fail("kv_parse(kv_format(m)) != m", data, size, out, flen);
	}
	kv_free(&again);
	free(out);
}

/* An event the system accepted, sealed again by a writer, must be accepted again. */
static void reseal(const struct event *ev, const uint8_t *data, size_t size)
{
	struct event w, back;
	struct rerr e = {0};

	if (skip_known && has_known_bug(&ev->f))
		return;
	event_init(&w);
	kv_copy(&w.f, &ev->f);
	event_seal(&w, &fixed);
	if (w.len <= EVENT_MAX) {
		if (event_parse(&back, w.raw, w.len, "resealed", &e) < 0) {
			fprintf(stderr, "fuzz_event: resealed event refused: %s\n", e.msg);
			fail("event_parse(event_seal(fields)) failed", data, size, w.raw, w.len);
		}
		if (!kv_equal(&ev->f, &back.f))
			fail("resealed event parses to other fields", data, size, w.raw, w.len);
		if (event_verify(&back, fixed.pk) != 1)
			fail("resealed event does not verify", data, size, w.raw, w.len);
		event_free(&back);
	}
	event_free(&w);
}

/* kv_parse's reader of kv_format's lines must never answer otherwise than libyaml. */
static void same_as_yaml(const uint8_t *data, size_t size)
{
	struct kv a, b;
	struct rerr ea = {0}, eb = {0};
	int ra = kv_parse(&a, (const char *)data, size, "fuzz", &ea);
	int rb = kv_parse_yaml(&b, (const char *)data, size, "fuzz", &eb);
	int same = ra == rb && (ra < 0 ? ea.code == eb.code && strcmp(ea.msg, eb.msg) == 0 : a.n == b.n);

	for (size_t i = 0; same && ra == 0 && i < a.n; i++)
		same = strcmp(a.k[i], b.k[i]) == 0 && strcmp(a.v[i], b.v[i]) == 0;
	if (ra == 0)
		kv_free(&a);
	if (rb == 0)
		kv_free(&b);
	if (!same) {
		fprintf(stderr, "fuzz_event: kv_parse %d '%s', libyaml %d '%s'\n", ra, ea.msg, rb, eb.msg);
		fail("kv_parse and kv_parse_yaml disagree", data, size, NULL, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv m;
	struct event ev;
	struct rerr e = {0};

	/* 1. The kv codec on its own. */
	same_as_yaml(data, size);
	if (kv_parse(&m, (const char *)data, size, "fuzz", &e) == 0) {
		kv_roundtrip(&m, data, size);
		kv_free(&m);
	} else if (e.code != RX_DATA || strncmp(e.msg, "fuzz:", 5) != 0) {
		fprintf(stderr, "fuzz_event: kv_parse error: code %d, '%s'\n", e.code, e.msg);
		fail("kv_parse error not RX_DATA naming the input", data, size, NULL, 0);
	}

	/* 2. The event file. */
	memset(&e, 0, sizeof e);
	if (event_parse(&ev, (const char *)data, size, "fuzz", &e) < 0) {
		if (e.code != RX_DATA || strncmp(e.msg, "fuzz", 4) != 0) {
			fprintf(stderr, "fuzz_event: event_parse error: code %d, '%s'\n", e.code, e.msg);
			fail("event_parse error not RX_DATA naming the input", data, size, NULL, 0);
		}
		return 0;
	}
	if (event_check_fields(&ev, &e) < 0) {
		fprintf(stderr, "fuzz_event: event_check_fields: %s\n", e.msg);
		fail("event_parse accepted what event_check_fields refuses", data, size, NULL, 0);
	}
	for (size_t i = 0; i <= NPK; i++) {
		int ok = event_verify(&ev, i < NPK ? pks[i] : fixed.pk);
		if (ok != 0 && ok != 1)
			fail("event_verify returned neither 0 nor 1", data, size, NULL, 0);
	}
	if (ev.body_len > ev.len || ev.raw[ev.len] != '\0')
		fail("event body_len/raw inconsistent", data, size, NULL, 0);
	kv_roundtrip(&ev.f, data, size);
	reseal(&ev, data, size);
	event_free(&ev);
	return 0;
}
