/* kv: flat YAML mappings, parsed strictly with libyaml and written in one plain form,
 * which is read back without it. */
#include "kv.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <yaml.h>

void kv_init(struct kv *m)
{
	memset(m, 0, sizeof *m);
}

void kv_free(struct kv *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->k[i]);
		free(m->v[i]);
	}
	free(m->k);
	free(m->v);
	kv_init(m);
}

static long find(const struct kv *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->k[i], key) == 0)
			return (long)i;
	return -1;
}

/* Adds a key not in m, taking both strings. */
static void append(struct kv *m, char *key, char *value)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->k = xrealloc(m->k, m->cap * sizeof *m->k);
		m->v = xrealloc(m->v, m->cap * sizeof *m->v);
	}
	m->k[m->n] = key;
	m->v[m->n] = value;
	m->n++;
}

void kv_take(struct kv *m, char *key, char *value)
{
	long i = find(m, key);

	if (i >= 0) {
		free(key);
		free(m->v[i]);
		m->v[i] = value;
		return;
	}
	append(m, key, value);
}

void kv_set(struct kv *m, const char *key, const char *value)
{
	kv_take(m, xstrdup(key), xstrdup(value));
}

void kv_setf(struct kv *m, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	kv_set(m, key, s);
	free(s);
}

void kv_setnum(struct kv *m, const char *key, long long v)
{
	kv_setf(m, key, "%lld", v);
}

const char *kv_get(const struct kv *m, const char *key)
{
	long i = find(m, key);

	return i < 0 ? NULL : m->v[i];
}

long long kv_num(const struct kv *m, const char *key, long long dflt)
{
	const char *s = kv_get(m, key);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtoll(s, &end, 10);
	return *end ? dflt : v;
}

void kv_copy(struct kv *dst, const struct kv *src)
{
	for (size_t i = 0; i < src->n; i++)
		kv_set(dst, src->k[i], src->v[i]);
}

/* A key is 1 to KEY_MAX of [a-z_]. */
#define KEY_MAX 64

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int valid_key(const char *s)
{
	if (*s == '\0' || strlen(s) > KEY_MAX)
		return 0;
	for (; *s; s++)
		if (!key_char(*s))
			return 0;
	return 1;
}

/* Where in the input an event starts, for messages: "what:LINE". */
static int bad(struct rerr *e, const char *what, const yaml_event_t *ev, const char *why)
{
	return rerr_set(e, RX_DATA, "%s:%zu: %s", what, ev->start_mark.line + 1, why);
}

int kv_yaml_failed(const struct yaml_parser_s *p, int code, const char *what, struct rerr *e)
{
	/* Memory, when libyaml says so, or says nothing (some of its allocations fail
	 * without setting an error; a fault of the input always sets one) and errno,
	 * cleared before the call (kv_yaml_call), is ENOMEM. */
	if (p->error == YAML_MEMORY_ERROR || (p->error == YAML_NO_ERROR && errno == ENOMEM))
		out_of_memory();
	return rerr_set(e, code, "%s:%zu: %s", what, p->problem_mark.line + 1,
			p->problem ? p->problem : "not YAML");
}

static int expect(yaml_parser_t *p, yaml_event_t *ev, yaml_event_type_t t,
		  const char *what, struct rerr *e)
{
	if (!kv_yaml_call(yaml_parser_parse(p, ev)))
		return kv_yaml_failed(p, RX_DATA, what, e);
	if (ev->type != t) {
		bad(e, what, ev, "not a flat mapping of scalars");
		yaml_event_delete(ev);
		return -1;
	}
	return 0;
}

/* Reads the next scalar of the mapping into *out; returns 1 at the mapping's end. */
static int next_scalar(yaml_parser_t *p, char **out, const char *what, struct rerr *e)
{
	yaml_event_t ev;
	int rc = -1;

	if (!kv_yaml_call(yaml_parser_parse(p, &ev)))
		return kv_yaml_failed(p, RX_DATA, what, e);
	if (ev.type == YAML_MAPPING_END_EVENT)
		rc = 1;
	else if (ev.type == YAML_ALIAS_EVENT)
		bad(e, what, &ev, "aliases are not allowed");
	else if (ev.type != YAML_SCALAR_EVENT)
		bad(e, what, &ev, "values must be scalars, not nested");
	else if (ev.data.scalar.anchor || ev.data.scalar.tag)
		bad(e, what, &ev, "anchors and tags are not allowed");
	else if (strlen((char *)ev.data.scalar.value) != ev.data.scalar.length)
		bad(e, what, &ev, "NUL byte in a value");
	else {
		*out = xstrdup((char *)ev.data.scalar.value);
		rc = 0;
	}
	yaml_event_delete(&ev);
	return rc;
}

static int parse_pairs(struct kv *m, yaml_parser_t *p, const char *what, struct rerr *e)
{
	for (;;) {
		char *k = NULL, *v = NULL;
		size_t line = p->mark.line + 1;
		int rc = next_scalar(p, &k, what, e);

		if (rc != 0)
			return rc == 1 ? 0 : -1;
		if (next_scalar(p, &v, what, e) != 0) {
			free(k);
			if (e && e->msg[0] == '\0')
				rerr_set(e, RX_DATA, "%s:%zu: key without value", what, line);
			return -1;
		}
		if (!valid_key(k))
			rc = rerr_set(e, RX_DATA, "%s:%zu: bad key", what, line);
		else if (kv_get(m, k) != NULL)
			rc = rerr_set(e, RX_DATA, "%s:%zu: duplicate key '%s'", what, line, k);
		else
			kv_set(m, k, v);
		free(k);
		free(v);
		if (rc < 0)
			return -1;
	}
}

/* The characters of a value written plain (plain_ok): a letter or digit first. */
static int plain_first(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int plain_char(unsigned char c)
{
	return plain_first(c) || (c != '\0' && strchr("._-+/=", c) != NULL);
}

/* The end of the value at p (before its '\n'), in either form kv_format writes it in
 * when the value needs no escape: plain, or in double quotes holding printable ASCII
 * but '"' and '\\'. NULL for anything else. */
static const char *simple_value(const char *p, const char *end, const char **v, size_t *vlen)
{
	const char *q = p;

	if (q < end && *q == '"') {
		for (q++; q < end && *q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\'; q++)
			;
		if (q >= end || *q != '"')
			return NULL;
		*v = p + 1;
		*vlen = (size_t)(q - p - 1);
		return q + 1;
	}
	if (q == end || !plain_first((unsigned char)*q))
		return NULL;
	while (q < end && plain_char((unsigned char)*q))
		q++;
	*v = p;
	*vlen = (size_t)(q - p);
	return q;
}

/* The text as kv_format writes it, read without a YAML parser: every line
 * "key: value\n", keys valid and not repeated, values as simple_value reads them.
 * 1 if the text is not all of that shape (m is left empty): libyaml reads it then, and
 * says what is wrong if anything is. A YAML parser gives these lines back as the same
 * strings (test_kv holds the two to it); most files the dispatcher reads are such. */
static int parse_simple(struct kv *m, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *k = p, *v;
		size_t vlen;
		while (p < end && key_char(*p))
			p++;
		size_t klen = (size_t)(p - k);
		if (klen == 0 || klen > KEY_MAX || end - p < 2 || p[0] != ':' || p[1] != ' ')
			break;
		p = simple_value(p + 2, end, &v, &vlen);
		if (p == NULL || p == end || *p != '\n')
			break;
		p++;
		char *key = xstrndup(k, klen);
		if (find(m, key) >= 0) {
			free(key);
			break;
		}
		append(m, key, xstrndup(v, vlen));
		if (p == end)
			return 0;
	}
	kv_free(m);
	return 1;
}

int kv_load(const char *path, struct kv *m, struct rerr *e)
{
	char *buf = NULL;
	size_t len;
	int rc = fs_read(path, 1 << 16, &buf, &len, e);

	kv_init(m);
	if (rc == 0 && (rc = kv_parse(m, buf, len, path, e)) < 0 && e)
		e->code = RX_IO;
	free(buf);
	return rc;
}

int kv_parse(struct kv *m, const char *buf, size_t len, const char *what, struct rerr *e)
{
	kv_init(m);
	if (parse_simple(m, buf, len) != 0) /* a NUL byte too stops it */
		return kv_parse_yaml(m, buf, len, what, e);
	if (e)
		e->msg[0] = '\0';
	return 0;
}

int kv_parse_yaml(struct kv *m, const char *buf, size_t len, const char *what, struct rerr *e)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = -1;

	kv_init(m);
	if (e)
		e->msg[0] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return rerr_set(e, RX_DATA, "%s: NUL byte", what);
	if (!yaml_parser_initialize(&p))
		out_of_memory();
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	if (expect(&p, &ev, YAML_STREAM_START_EVENT, what, e) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (expect(&p, &ev, YAML_DOCUMENT_START_EVENT, what, e) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (expect(&p, &ev, YAML_MAPPING_START_EVENT, what, e) < 0)
		goto out;
	if (ev.data.mapping_start.anchor || ev.data.mapping_start.tag) {
		bad(e, what, &ev, "anchors and tags are not allowed");
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);
	if (parse_pairs(m, &p, what, e) < 0)
		goto out;
	if (expect(&p, &ev, YAML_DOCUMENT_END_EVENT, what, e) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (expect(&p, &ev, YAML_STREAM_END_EVENT, what, e) < 0)
		goto out;
	yaml_event_delete(&ev);
	rc = 0;
out:
	yaml_parser_delete(&p);
	if (rc < 0)
		kv_free(m);
	return rc;
}

/* Plain when it cannot be read as anything but this string by a YAML parser. */
static int plain_ok(const char *s)
{
	if (!plain_first((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!plain_char((unsigned char)*s))
			return 0;
	return 1;
}

/* The code point of the UTF-8 sequence at p and its length; 0 if it is not one. */
static int utf8_decode(const unsigned char *p, unsigned *cp)
{
	int len = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;

	if (len == 0)
		return 0;
	*cp = *p & (0x7f >> len);
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	return len;
}

/* Code points a YAML reader would not give back as they are when written raw:
 * C1 controls (refused), NEL, LS and PS (line breaks), BOM and non-characters. */
static int needs_escape(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
	       cp == 0xfffe || cp == 0xffff;
}

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned cp;
		int len;
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else if (*p < 0x80)
			fputc(*p, f);
		else if ((len = utf8_decode(p, &cp)) == 0)
			fprintf(f, "\\x%02x", *p); /* never from checked input: kept parseable */
		else if (needs_escape(cp)) {
			fprintf(f, "\\u%04x", cp);
			p += len - 1;
		} else {
			fwrite(p, 1, (size_t)len, f);
			p += len - 1;
		}
	}
	fputc('"', f);
}

char *kv_format(const struct kv *m, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	/* A memstream fails only for memory: at its open, or at its fclose, whose last
	 * realloc failing leaves buf NULL (and, in glibc, fclose 0). */
	FILE *f = open_memstream(&buf, &n);

	if (f == NULL)
		out_of_memory();
	if (m->n == 0)
		fputs("{}\n", f);
	for (size_t i = 0; i < m->n; i++) {
		fprintf(f, "%s: ", m->k[i]);
		if (plain_ok(m->v[i]))
			fputs(m->v[i], f);
		else
			put_quoted(f, m->v[i]);
		fputc('\n', f);
	}
	if (fclose(f) != 0 || buf == NULL)
		out_of_memory();
	if (len)
		*len = n;
	return buf;
}
