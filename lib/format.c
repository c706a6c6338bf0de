/* format: jansson makes the JSON (quoting and UTF-8 done right); CSV is made from the
 * same JSON objects, so the two always agree; tables for people are aligned by display
 * width, so Hangul and emoji line up. */
#include "format.h"
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* jansson's allocations, as every other: memory that is not there ends the program
 * (out_of_memory), not a listing cut short as if its output had failed. */
static void *json_alloc(size_t n)
{
	return xrealloc(NULL, n);
}

void format_init(void)
{
	json_set_alloc_funcs(json_alloc, free);
}

json_t *format_json(const struct field *f, size_t nf, const struct kv *rec)
{
	json_t *o = json_object();

	for (size_t i = 0; i < nf; i++) {
		const char *v = kv_get(rec, f[i].name);
		json_t *j;
		if ((v == NULL || *v == '\0') && (f[i].type == F_NUMNULL || f[i].type == F_STRNULL))
			j = json_null();
		else if (f[i].type == F_BOOL)
			j = json_boolean(v && strcmp(v, "true") == 0);
		else if (f[i].type == F_NUM || f[i].type == F_NUMNULL)
			j = strchr(v ? v : "", '.') ? json_real(strtod(v, NULL))
				: json_integer(v ? strtoll(v, NULL, 10) : 0);
		else
			j = json_string(v ? v : "");
		if (j == NULL)
			j = json_null(); /* not UTF-8: never in state that passed the checks */
		json_object_set_new(o, f[i].name, j);
	}
	return o;
}

int format_json_line(FILE *out, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	int rc;

	if (s == NULL)
		return -1;
	rc = fprintf(out, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	return rc;
}

/* Writes one CSV field: the text of v (a string as it is, null empty, anything else
 * its JSON text), quoted when it holds a comma, a quote, CR or LF (RFC 4180). */
static int put_csv_field(FILE *out, json_t *v)
{
	char *text = NULL;
	const char *t;
	int rc = 0;

	if (v == NULL || json_is_null(v))
		t = "";
	else if (json_is_string(v))
		t = json_string_value(v);
	else if ((text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
					   JSON_REAL_PRECISION(15))) != NULL)
		t = text;
	else
		return -1;
	if (strpbrk(t, ",\"\r\n") == NULL) {
		rc = fputs(t, out) < 0 ? -1 : 0;
	} else {
		fputc('"', out);
		for (const char *p = t; *p; p++)
			if ((*p == '"' && fputc('"', out) == EOF) || fputc(*p, out) == EOF)
				rc = -1;
		fputc('"', out);
	}
	free(text);
	return rc;
}

static int put_csv_line(FILE *out, const char *const *names, size_t nn, json_t *obj)
{
	for (size_t i = 0; i < nn; i++) {
		if (i > 0)
			fputc(',', out);
		if (obj == NULL) {
			json_t *name = json_string(names[i]);
			int rc = put_csv_field(out, name);
			json_decref(name);
			if (rc < 0)
				return -1;
		} else if (put_csv_field(out, json_object_get(obj, names[i])) < 0) {
			return -1;
		}
	}
	return fputc('\n', out) == EOF ? -1 : 0;
}

int format_object(FILE *out, const char *const *names, size_t nn, json_t *obj, enum fmt mode)
{
	return mode == FMT_CSV ? put_csv_line(out, names, nn, obj) : format_json_line(out, obj);
}

int format_objects(FILE *out, const char *const *names, size_t nn, json_t *const *objs,
		   size_t n, enum fmt mode)
{
	if (mode == FMT_CSV && put_csv_line(out, names, nn, NULL) < 0)
		return -1;
	for (size_t r = 0; r < n; r++)
		if ((mode == FMT_CSV ? put_csv_line(out, names, nn, objs[r])
				     : format_json_line(out, objs[r])) < 0)
			return -1;
	return ferror(out) ? -1 : 0;
}

/* Where the C library has no UTF-8 locale: East Asian Wide and Fullwidth characters
 * (UAX #11: Hangul, CJK, kana, fullwidth forms) and the emoji blocks take two
 * columns, combining marks, Hangul medial and final jamo, and zero-width characters
 * none, anything else one. */
static int fallback_width(uint32_t c)
{
	static const uint32_t wide[][2] = {
		{0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec}, {0x25fd, 0x25fe},
		{0x2614, 0x2615}, {0x2e80, 0x303e}, {0x3041, 0x33ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff},
		{0xa000, 0xa4cf}, {0xa960, 0xa97f}, {0xac00, 0xd7a3}, {0xf900, 0xfaff}, {0xfe10, 0xfe19},
		{0xfe30, 0xfe6f}, {0xff00, 0xff60}, {0xffe0, 0xffe6}, {0x1f300, 0x1f64f},
		{0x1f680, 0x1f6ff}, {0x1f900, 0x1f9ff}, {0x20000, 0x3fffd}};
	static const uint32_t none[][2] = {
		{0x0300, 0x036f}, {0x1160, 0x11ff}, {0x200b, 0x200f}, {0x20d0, 0x20ff},
		{0xd7b0, 0xd7ff}, {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xe0100, 0xe01ef}};

	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if (c >= none[i][0] && c <= none[i][1])
			return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

#define CELL_BUF 1024 /* a value shown in a table, escaped; longer ones are cut */

/* The columns c takes: wcwidth(3) of the UTF-8 locale utf8 (a control character
 * counts one), or fallback_width without one. */
static int char_width(uint32_t c, locale_t utf8)
{
	int w;

	if (utf8 == (locale_t)0)
		return fallback_width(c);
	w = wcwidth((wchar_t)c);
	return w < 0 ? 1 : w;
}

/* The longest start of s that takes at most max columns, ending at a character
 * boundary: its length in bytes in *bytes; returns its width. */
static int text_fit(const char *s, int max, locale_t utf8, size_t *bytes)
{
	size_t i = 0;
	int w = 0;

	while (s[i]) {
		uint32_t c;
		size_t n = utf8_char(s + i, &c);
		int cw = char_width(c, utf8);
		if (w + cw > max)
			break;
		w += cw;
		i += n;
	}
	*bytes = i;
	return w;
}

/* Prints v in width columns and a space, or as it is if last. A value wider than
 * width is cut at a character boundary and ends in "...". */
static void put_cell(FILE *out, const char *v, int width, int last, locale_t utf8)
{
	size_t n;
	int w;

	if (last) {
		fprintf(out, "%s\n", v);
		return;
	}
	w = text_fit(v, INT_MAX, utf8, &n);
	if (w > width) {
		w = text_fit(v, width - 3, utf8, &n) + 3;
		fprintf(out, "%.*s...", (int)n, v);
	} else {
		fputs(v, out);
	}
	fprintf(out, "%*s", width - w + 1, "");
}

/* The text of field f in rec as a table shows it, in buf if it must be escaped: a
 * control character (C0, DEL, C1) or a bidirectional one, which a terminal would act
 * on or which would break or turn the row, is shown as \n, \t, \r or \xNN (C1 and
 * bidirectional controls: \uNNNN). */
static const char *cell(const struct kv *rec, const struct field *f, char buf[CELL_BUF])
{
	const unsigned char *v = (const unsigned char *)kv_get(rec, f->name);
	size_t o = 0;

	if (f->type == F_BOOL)
		return v && strcmp((const char *)v, "true") == 0 ? "true" : "false";
	if (v == NULL || *v == '\0')
		return f->type == F_NUM ? "0" : "-"; /* as --json has it: 0, or null */
	for (const unsigned char *p = v; *p && o + 8 < CELL_BUF; p++) {
		int unseen = text_unseen_len((const char *)p);
		if (unseen) {
			uint32_t c;
			utf8_char((const char *)p, &c);
			o += (size_t)sprintf(buf + o, "\\u%04x", (unsigned)c);
			p += unseen - 1;
		} else if (*p == '\n' || *p == '\t' || *p == '\r')
			o += (size_t)sprintf(buf + o, "\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
		else if (*p < 0x20 || *p == 0x7f)
			o += (size_t)sprintf(buf + o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
	return buf;
}

/* Prints the table: a header, then a line per record. A column is as wide as its
 * widest value (at least the field's width and its title; at most CELL_MAX columns
 * or the field's width, wider values cut), so the columns line up on a terminal. */
static int put_table(FILE *out, const struct field *f, size_t nf, const struct kv *recs, size_t n,
		     locale_t utf8)
{
	enum { CELL_MAX = 40 };
	int *width = xcalloc(nf ? nf : 1, sizeof *width);
	char buf[CELL_BUF];
	size_t bytes;

	for (size_t i = 0; i < nf; i++) {
		int max = f[i].width > CELL_MAX ? f[i].width : CELL_MAX;
		width[i] = f[i].width > (int)strlen(f[i].name) ? f[i].width : (int)strlen(f[i].name);
		for (size_t r = 0; r < n; r++) {
			int w = text_fit(cell(&recs[r], &f[i], buf), max, utf8, &bytes);
			if (w > width[i])
				width[i] = w;
		}
	}
	for (size_t i = 0; i < nf; i++) {
		char title[64];
		size_t k;
		for (k = 0; f[i].name[k] && k < sizeof title - 1; k++)
			title[k] = (char)(f[i].name[k] >= 'a' && f[i].name[k] <= 'z' ? f[i].name[k] - 32 : f[i].name[k]);
		title[k] = '\0';
		put_cell(out, title, width[i], i + 1 == nf, utf8);
	}
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < nf; i++)
			put_cell(out, cell(&recs[r], &f[i], buf), width[i], i + 1 == nf, utf8);
	free(width);
	return 0;
}

int format_records(FILE *out, const struct field *f, size_t nf, const struct kv *recs,
		   size_t n, enum fmt mode)
{
	locale_t utf8, old = (locale_t)0;
	int rc = 0;

	if (mode != FMT_TABLE) {
		const char **names = xcalloc(nf ? nf : 1, sizeof *names);
		for (size_t i = 0; i < nf; i++)
			names[i] = f[i].name;
		rc = format_objects(out, names, nf, NULL, 0, mode == FMT_CSV ? FMT_CSV : FMT_JSON);
		for (size_t r = 0; r < n && rc == 0; r++) {
			json_t *o = format_json(f, nf, &recs[r]);
			rc = mode == FMT_CSV ? put_csv_line(out, names, nf, o) : format_json_line(out, o);
			json_decref(o);
		}
		free(names);
		return rc < 0 || ferror(out) ? -1 : 0;
	}
	/* Widths are computed under a UTF-8 locale whatever the user's: the values are
	 * UTF-8 text, and what a terminal shows is their width. */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);
	rc = put_table(out, f, nf, recs, n, utf8);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return rc < 0 || ferror(out) ? -1 : 0;
}

int format_ical_line(FILE *out, const char *line)
{
	size_t len = strlen(line), at = 0, room = 75;

	while (len - at > room) {
		size_t cut = at + room;
		while (cut > at && ((unsigned char)line[cut] & 0xc0) == 0x80)
			cut--; /* not inside a character */
		if (cut == at)
			cut = at + room; /* not UTF-8 at all: cut anywhere */
		if (fwrite(line + at, 1, cut - at, out) != cut - at || fputs("\r\n ", out) < 0)
			return -1;
		at = cut;
		room = 74; /* the leading space counts */
	}
	if (fwrite(line + at, 1, len - at, out) != len - at || fputs("\r\n", out) < 0)
		return -1;
	return 0;
}

char *format_ical_text(const char *v)
{
	char *o = xcalloc(1, 2 * strlen(v) + 1), *p = o;

	for (; *v; v++) {
		if (*v == '\\' || *v == ';' || *v == ',')
			*p++ = '\\', *p++ = *v;
		else if (*v == '\n')
			*p++ = '\\', *p++ = 'n';
		else if (*v != '\r')
			*p++ = *v;
	}
	*p = '\0';
	return o;
}
