/* Unit tests of the output formats: CSV (RFC 4180) made from the JSON objects, and
 * iCalendar content lines (RFC 5545 3.1) folded at 75 octets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"

/* What fn printed into a memory stream, NUL-terminated; the caller frees it. */
static char *printed(int (*fn)(FILE *out, void *arg), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, arg), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const struct field fields[] = {
	{"car", F_STR, 0}, {"model", F_STRNULL, 0}, {"rate", F_NUM, 0}, {"stars", F_NUMNULL, 0},
	{"revoked", F_BOOL, 0}};

static int csv_of(FILE *out, void *arg)
{
	struct kv *recs = arg;

	return format_records(out, fields, 5, recs, recs ? 2 : 0, FMT_CSV);
}

static void csv_quotes_where_needed(void **state)
{
	struct kv recs[2];
	char *s;

	kv_init(&recs[0]);
	kv_set(&recs[0], "car", "car01");
	kv_set(&recs[0], "model", "Kia \"Ray\", 2024");
	kv_set(&recs[0], "rate", "100");
	kv_set(&recs[0], "stars", "4.5");
	kv_set(&recs[0], "revoked", "true");
	kv_init(&recs[1]);
	kv_set(&recs[1], "car", "car02");
	kv_set(&recs[1], "model", "two\nlines\r");
	kv_set(&recs[1], "rate", "7");
	s = printed(csv_of, recs);
	assert_string_equal(s, "car,model,rate,stars,revoked\n"
			       "car01,\"Kia \"\"Ray\"\", 2024\",100,4.5,true\n"
			       "car02,\"two\nlines\r\",7,,false\n");
	free(s);
	s = printed(csv_of, NULL);
	assert_string_equal(s, "car,model,rate,stars,revoked\n"); /* empty: the header alone */
	free(s);
	kv_free(&recs[0]);
	kv_free(&recs[1]);
}

static int table_of(FILE *out, void *arg)
{
	return format_records(out, fields, 2, arg, 1, FMT_TABLE);
}

/* A text holding control characters (a comment's newline and tab, ESC, a C1 CSI) is
 * shown escaped in a table: its row stays one line, and a terminal gets no control
 * sequence. */
static void table_escapes_control_characters(void **state)
{
	struct kv rec;
	char *s;

	kv_init(&rec);
	kv_set(&rec, "car", "car01");
	kv_set(&rec, "model", "ok\nfake row\tx\033[31m\xc2\x9b" "31mred\x7f");
	s = printed(table_of, &rec);
	assert_string_equal(s, "CAR   MODEL\n"
			       "car01 ok\\nfake row\\tx\\x1b[31m\\u009b31mred\\x7f\n");
	free(s);
	kv_free(&rec);
}

static int report_json(FILE *out, void *arg)
{
	static const struct field f[] = {{"utilisation", F_NUM, 0}, {"stars", F_NUMNULL, 0}};
	int rc;

	rc = format_records(out, f, 2, arg, 1, FMT_JSON);
	return rc < 0 ? rc : format_records(out, f, 2, arg, 1, FMT_CSV);
}

/* A number with a decimal is printed as the record holds it, not cut to three
 * digits (133.3 was 133.0). */
static void decimals_are_kept(void **state)
{
	struct kv rec;
	char *s;

	kv_init(&rec);
	kv_set(&rec, "utilisation", "133.3");
	kv_set(&rec, "stars", "4.25");
	s = printed(report_json, &rec);
	assert_string_equal(s, "{\"utilisation\":133.3,\"stars\":4.25}\nutilisation,stars\n133.3,4.25\n");
	free(s);
	kv_free(&rec);
}

static int object_csv(FILE *out, void *arg)
{
	static const char *const names[] = {"car", "days", "none", "ok"};
	json_t *o = json_pack("{s:s, s:[s,s], s:n, s:b}", "car", "c,1", "days", "free", "x\"y", "none", "ok", 0);
	int rc = format_objects(out, names, 4, &o, 1, FMT_CSV);

	json_decref(o);
	return rc;
}

static void csv_arrays_are_json_text(void **state)
{
	char *s = printed(object_csv, NULL);

	assert_string_equal(s, "car,days,none,ok\n\"c,1\",\"[\"\"free\"\",\"\"x\\\"\"y\"\"]\",,false\n");
	free(s);
}

static int ical_of(FILE *out, void *arg)
{
	return format_ical_line(out, arg);
}

static void ical_folds_at_75_octets(void **state)
{
	char line[300], *s;

	memset(line, 'a', 75);
	line[75] = '\0';
	s = printed(ical_of, line);
	assert_int_equal(strlen(s), 77); /* 75 octets fit: no fold */
	free(s);
	line[75] = 'b';
	line[76] = '\0';
	s = printed(ical_of, line);
	assert_string_equal(s + 75, "\r\n b\r\n");
	free(s);
	/* 200 octets: 75, then 74 after each leading space. */
	memset(line, 'c', 200);
	line[200] = '\0';
	s = printed(ical_of, line);
	assert_int_equal(strlen(s), 200 + 3 * 2 + 2 * 1);
	assert_string_equal(s + 75 + 2 + 1 + 74, "\r\n ccccccccccccccccccccccccccccccccccccccccccccccccccc\r\n");
	free(s);
	/* A character of three octets across octet 75 moves whole to the next line. */
	memset(line, 'd', 74);
	strcpy(line + 74, "\xea\xb0\x80z"); /* U+AC00 at octets 75 to 77 */
	s = printed(ical_of, line);
	assert_int_equal(strncmp(s + 74, "\r\n \xea\xb0\x80z\r\n", 9), 0);
	free(s);
}

static void ical_text_is_escaped(void **state)
{
	char *t = format_ical_text("a;b,c\\d\ne\r");

	assert_string_equal(t, "a\\;b\\,c\\\\d\\ne");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_quotes_where_needed),
		cmocka_unit_test(table_escapes_control_characters),
		cmocka_unit_test(decimals_are_kept),
		cmocka_unit_test(csv_arrays_are_json_text),
		cmocka_unit_test(ical_folds_at_75_octets),
		cmocka_unit_test(ical_text_is_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
