/* format: jansson makes the JSON (quoting and UTF-8 done right); tables are plain. */
#include "format.h"
#include <stdlib.h>
#include <string.h>

json_t *format_json(const struct field *f, size_t nf, const struct kv *rec)
{
	json_t *o = json_object();

	for (size_t i = 0; i < nf; i++) {
		const char *v = kv_get(rec, f[i].name);
		json_t *j;
		if ((v == NULL || *v == '\0') && (f[i].type == F_NUMNULL || f[i].type == F_STRNULL))
			j = json_null();
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
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(3));
	int rc;

	if (s == NULL)
		return -1;
	rc = fprintf(out, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	return rc;
}

static void put_cell(FILE *out, const char *v, int width, int last)
{
	if (last)
		fprintf(out, "%s\n", v);
	else
		fprintf(out, "%-*s ", width, v);
}

int format_records(FILE *out, const struct field *f, size_t nf, const struct kv *recs,
		   size_t n, int json)
{
	if (json) {
		for (size_t r = 0; r < n; r++) {
			json_t *o = format_json(f, nf, &recs[r]);
			int rc = format_json_line(out, o);
			json_decref(o);
			if (rc < 0)
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < nf; i++) {
		char title[64];
		size_t k;
		for (k = 0; f[i].name[k] && k < sizeof title - 1; k++)
			title[k] = (char)(f[i].name[k] >= 'a' && f[i].name[k] <= 'z' ? f[i].name[k] - 32 : f[i].name[k]);
		title[k] = '\0';
		put_cell(out, title, f[i].width, i + 1 == nf);
	}
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < nf; i++) {
			const char *v = kv_get(&recs[r], f[i].name);
			if (v == NULL || *v == '\0')
				v = "-";
			put_cell(out, v, f[i].width, i + 1 == nf);
		}
	return ferror(out) ? -1 : 0;
}
