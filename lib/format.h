/* format: records printed as a table for people or one JSON object a line (jansson). */
#ifndef RENTAL_FORMAT_H
#define RENTAL_FORMAT_H
#include <stdio.h>
#include <jansson.h>
#include "kv.h"

enum ftype {
	F_STR,     /* a string */
	F_NUM,     /* a whole number */
	F_NUMNULL, /* a number, or null when empty */
	F_STRNULL  /* a string, or null when empty */
};

struct field {
	const char *name;
	enum ftype type;
	int width; /* of the table column */
};

/* The record as a JSON object with the fields in order; the caller owns it. */
json_t *format_json(const struct field *f, size_t nf, const struct kv *rec);
/* Prints records: a header and rows aligned by display width (a value wider than
 * its column cut between characters), or with json one object per line.
 * Returns -1 if writing failed (full disk, closed pipe). */
int format_records(FILE *out, const struct field *f, size_t nf, const struct kv *recs,
		   size_t n, int json);
/* Writes a JSON value on one line. */
int format_json_line(FILE *out, json_t *v);
#endif
