/* format: records printed as a table for people, one JSON object a line (jansson), or
 * CSV (RFC 4180) with a header of the JSON field names. */
#ifndef RENTAL_FORMAT_H
#define RENTAL_FORMAT_H
#include <stdio.h>
#include <jansson.h>
#include "kv.h"

enum ftype {
	F_STR,     /* a string */
	F_NUM,     /* a whole number */
	F_NUMNULL, /* a number, or null when empty */
	F_STRNULL, /* a string, or null when empty */
	F_BOOL     /* true when "true", else false */
};

/* How a listing is printed. */
enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

struct field {
	const char *name;
	enum ftype type;
	int width; /* of the table column */
};

/* The record as a JSON object with the fields in order; the caller owns it. */
json_t *format_json(const struct field *f, size_t nf, const struct kv *rec);
/* Prints records: a header and rows aligned by display width (a value wider than
 * its column cut between characters), one JSON object a line, or CSV.
 * Returns -1 if writing failed (full disk, closed pipe). */
int format_records(FILE *out, const struct field *f, size_t nf, const struct kv *recs,
		   size_t n, enum fmt mode);
/* Prints JSON objects (mode FMT_JSON or FMT_CSV) whose members are names, in that
 * order: one a line, or as CSV under the header of names (the header alone when n is
 * 0): null an empty field, true and false as in JSON, an array or object its JSON
 * text, fields quoted where RFC 4180 needs it, lines ending in LF. */
int format_objects(FILE *out, const char *const *names, size_t nn, json_t *const *objs,
		   size_t n, enum fmt mode);
/* One object of format_objects, without the CSV header: for a listing printed as it
 * is read. */
int format_object(FILE *out, const char *const *names, size_t nn, json_t *obj, enum fmt mode);
/* Writes a JSON value on one line. */
int format_json_line(FILE *out, json_t *v);
/* Writes one content line of an iCalendar file (RFC 5545 3.1): folded so that no line
 * is longer than 75 octets, CRLF and a space before each further part, never inside a
 * UTF-8 character; ended by CRLF. */
int format_ical_line(FILE *out, const char *line);
/* A TEXT value escaped as RFC 5545 3.3.11 says (backslash, semicolon, comma, newline);
 * the caller frees it. */
char *format_ical_text(const char *v);
/* Every command's start: jansson allocates as x*alloc does. */
void format_init(void);
#endif
