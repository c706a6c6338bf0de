/* config: a small schema walked over libyaml's document tree, so every error has a line. */
#include "config.h"
#include "url.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "kv.h"

static const char *const ctx_names[CTX_COUNT] = {
	"management", "reservation", "payment", "rental", "rating", "mypage"};

const char *context_name(int ctx)
{
	return ctx >= 0 && ctx < CTX_COUNT ? ctx_names[ctx] : "?";
}

void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->country, sizeof c->country, "korea");
	snprintf(c->region, sizeof c->region, "seoul");
	snprintf(c->currency, sizeof c->currency, "KRW");
	c->max_pending = 100;
	c->consecutive_errors = 5;
	c->open_seconds = 30;
	c->max_lag_seconds = 300;
	for (int i = 0; i < CTX_COUNT; i++)
		c->enabled[i] = 1;
}

const char *cfg_default_text(void)
{
	return "region: {country: korea, region: seoul}\n"
	       "currency: KRW\n"
	       "payment:\n"
	       "  breaker: {max_pending: 100, consecutive_errors: 5, open_seconds: 30}\n"
	       "contexts:                     # each context can be switched off; the others go on\n"
	       "  management: {enabled: true}\n"
	       "  reservation: {enabled: true}\n"
	       "  payment: {enabled: true}\n"
	       "  rental: {enabled: true}\n"
	       "  rating: {enabled: true}\n"
	       "  mypage: {enabled: true}\n";
}

struct walk {
	yaml_document_t *doc;
	const char *path;
	struct rerr *e;
	struct cfg *c;
	const char *root; /* where a relative remote is from */
};

static int fail(struct walk *w, yaml_node_t *n, const char *fmt, const char *a, const char *b)
{
	char what[400];

	snprintf(what, sizeof what, fmt, a, b);
	return rerr_set(w->e, RX_CONFIG, "%s:%zu: %s", w->path, n->start_mark.line + 1, what);
}

/* A scalar's text; NULL for anything else, or a scalar tagged as another type than
 * type (a core tag: an untagged plain scalar is !!str to libyaml, so !!str goes too):
 * !!binary S1JX is no text S1JX, !!int KRW no currency, !!int 100 is 100. */
static const char *scalar(yaml_node_t *n, const char *type)
{
	const char *tag = (const char *)n->tag;
	int ok = tag == NULL || strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, type) == 0;

	return n->type == YAML_SCALAR_NODE && ok ? (const char *)n->data.scalar.value : NULL;
}

#define CFG_FLOWS_MAX 1000 /* [ and { in a settings file */

static int get_string(struct walk *w, yaml_node_t *n, const char *key, char *out, size_t size)
{
	const char *s = scalar(n, YAML_STR_TAG);

	if (s == NULL)
		return fail(w, n, "%s: expected a string%s", key, "");
	if (*s == '\0' || strlen(s) != n->data.scalar.length)
		return fail(w, n, "%s: %s", key, *s ? "holds a NUL" : "empty");
	if (strlen(s) >= size || !valid_text(s, NULL) || text_has_unseen(s))
		return fail(w, n, "%s: too long or not text%s", key, "");
	snprintf(out, size, "%s", s);
	return 0;
}

static int get_count(struct walk *w, yaml_node_t *n, const char *key, long *out)
{
	const char *s = scalar(n, YAML_INT_TAG);
	char *end;
	long v;

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return fail(w, n, "%s: expected a whole number%s", key, "");
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end || errno || v < 0 || v > 1000000000)
		return fail(w, n, "%s: expected a whole number, not '%.40s'", key, s);
	*out = v;
	return 0;
}

static int get_bool(struct walk *w, yaml_node_t *n, const char *key, int *out)
{
	const char *s = scalar(n, YAML_BOOL_TAG);

	if (s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!strcmp(s, "true")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, "false")) {
			*out = 0;
			return 0;
		}
	}
	return fail(w, n, "%s: expected true or false%s", key, "");
}

typedef int (*field_fn)(struct walk *w, const char *key, yaml_node_t *v, void *arg);

/* Calls fn for each key of a mapping node; anything else is an error. */
static int each_pair(struct walk *w, yaml_node_t *n, const char *what, field_fn fn, void *arg)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(w, n, "%s: expected a mapping%s", what, "");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		if (k == NULL || v == NULL || scalar(k, YAML_STR_TAG) == NULL)
			return fail(w, n, "%s: keys must be plain words%s", what, "");
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(w->doc, q->key), YAML_STR_TAG) ?: "", scalar(k, YAML_STR_TAG)))
				return fail(w, k, "duplicate key '%s'%s", scalar(k, YAML_STR_TAG), "");
		if (fn(w, scalar(k, YAML_STR_TAG), v, arg) < 0)
			return -1;
	}
	return 0;
}

static int unknown(struct walk *w, yaml_node_t *v, const char *key, const char *in)
{
	return fail(w, v, "unknown key '%s' in %s", key, in);
}

static int region_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	if (!strcmp(key, "country"))
		return get_string(w, v, key, w->c->country, sizeof w->c->country);
	if (!strcmp(key, "region"))
		return get_string(w, v, key, w->c->region, sizeof w->c->region);
	return unknown(w, v, key, "region");
}

static int breaker_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	if (!strcmp(key, "max_pending"))
		return get_count(w, v, key, &w->c->max_pending);
	if (!strcmp(key, "consecutive_errors"))
		return get_count(w, v, key, &w->c->consecutive_errors);
	if (!strcmp(key, "open_seconds"))
		return get_count(w, v, key, &w->c->open_seconds);
	return unknown(w, v, key, "payment.breaker");
}

static int payment_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	if (!strcmp(key, "breaker"))
		return each_pair(w, v, "payment.breaker", breaker_field, NULL);
	return unknown(w, v, key, "payment");
}

static int context_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	int *enabled = arg;

	if (!strcmp(key, "enabled"))
		return get_bool(w, v, key, enabled);
	return unknown(w, v, key, "a context");
}

static int contexts_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	for (int i = 0; i < CTX_COUNT; i++)
		if (!strcmp(key, ctx_names[i]))
			return each_pair(w, v, key, context_field, &w->c->enabled[i]);
	return unknown(w, v, key, "contexts");
}

/* url (a remote, CFG_PATH_MAX) as the dispatcher reaches it: a path absolute and plain
 * from the home, as spool:'s is (a daemon's working folder is no part of it). */
static int resolve_remote(struct walk *w, yaml_node_t *u, char *url)
{
	struct rerr why = {0};
	char *abs;

	if (url_absolute(url, w->root, &abs, &why) < 0)
		return fail(w, u, "replicate.remotes: %.300s%s", why.msg, "");
	if (strlen(abs) >= CFG_PATH_MAX) {
		free(abs);
		return fail(w, u, "replicate.remotes: '%.200s' is too long from the home%s", url, "");
	}
	strcpy(url, abs); /* fits: measured above */
	free(abs);
	return 0;
}

static int remotes_field(struct walk *w, yaml_node_t *v)
{
	struct cfg *c = w->c;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(w, v, "%s: expected a list of git URLs, such as [git://host/state]%s",
			    "replicate.remotes", "");
	c->nremotes = 0;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *u = yaml_document_get_node(w->doc, *i);
		if (c->nremotes == CFG_REMOTES_MAX)
			return fail(w, u, "replicate.remotes: more than %s remotes%s", "16", "");
		if (get_string(w, u, "replicate.remotes", c->remotes[c->nremotes], CFG_PATH_MAX) < 0)
			return -1;
		if (c->remotes[c->nremotes][0] == '\0')
			return fail(w, u, "replicate.remotes: an empty URL%s%s", "", "");
		char written[CFG_PATH_MAX];
		strcpy(written, c->remotes[c->nremotes]);
		if (resolve_remote(w, u, c->remotes[c->nremotes]) < 0)
			return -1;
		int again = 0;
		for (int j = 0; j < c->nremotes && !again; j++)
			again = url_same_repository(c->remotes[j], c->remotes[c->nremotes]);
		if (!again)
			c->nremotes++;
		else if (c->twice[0] == '\0') /* pushed to once, under its first name */
			strcpy(c->twice, written);
	}
	return 0;
}

static int replicate_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	if (!strcmp(key, "remotes"))
		return remotes_field(w, v);
	if (!strcmp(key, "max_lag_seconds"))
		return get_count(w, v, key, &w->c->max_lag_seconds);
	return unknown(w, v, key, "replicate");
}

static int top_field(struct walk *w, const char *key, yaml_node_t *v, void *arg)
{
	if (!strcmp(key, "spool"))
		return get_string(w, v, key, w->c->spool, sizeof w->c->spool);
	if (!strcmp(key, "replicate"))
		return each_pair(w, v, "replicate", replicate_field, NULL);
	if (!strcmp(key, "region"))
		return each_pair(w, v, "region", region_field, NULL);
	if (!strcmp(key, "currency"))
		return get_string(w, v, key, w->c->currency, sizeof w->c->currency);
	if (!strcmp(key, "payment"))
		return each_pair(w, v, "payment", payment_field, NULL);
	if (!strcmp(key, "contexts"))
		return each_pair(w, v, "contexts", contexts_field, NULL);
	return unknown(w, v, key, "the settings");
}

int cfg_load(struct cfg *c, const char *path, const char *home, struct rerr *e)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct walk w = {&doc, path, e, c, home};
	char *buf = NULL;
	size_t len;
	int rc;

	cfg_defaults(c);
	rc = fs_read(path, 1 << 20, &buf, &len, e);
	if (rc == 1)
		return rerr_set(e, RX_CONFIG, "%s: missing settings file", path);
	if (rc < 0) {
		if (e)
			e->code = RX_CONFIG;
		return -1;
	}
	/* libyaml's time grows with the square of the nesting (every command reads the
	 * settings: 32,000 nested [ took 3.5 s); settings have a few collections. */
	size_t flows = 0;
	for (size_t i = 0; i < len; i++)
		flows += buf[i] == '[' || buf[i] == '{';
	if (flows > CFG_FLOWS_MAX) {
		free(buf);
		return rerr_set(e, RX_CONFIG, "%s: %zu [ and { (more than %d): not settings", path, flows,
				CFG_FLOWS_MAX);
	}
	if (!yaml_parser_initialize(&p))
		out_of_memory();
	yaml_parser_set_input_string(&p, (unsigned char *)buf, len);
	if (!kv_yaml_call(yaml_parser_load(&p, &doc))) {
		rc = kv_yaml_failed(&p, RX_CONFIG, path, e);
		goto out;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL)
		rc = rerr_set(e, RX_CONFIG, "%s:1: empty settings file", path);
	else
		rc = each_pair(&w, root, "the settings", top_field, NULL);
	yaml_document_delete(&doc);
	/* The settings are one document: what follows it is not passed over. */
	if (rc == 0 && !kv_yaml_call(yaml_parser_load(&p, &doc))) {
		rc = kv_yaml_failed(&p, RX_CONFIG, path, e);
	} else if (rc == 0) {
		if (yaml_document_get_root_node(&doc) != NULL)
			rc = rerr_set(e, RX_CONFIG, "%s:%zu: a second document: the settings are one",
				      path, doc.start_mark.line + 1);
		yaml_document_delete(&doc);
	}
out:
	yaml_parser_delete(&p);
	free(buf);
	return rc;
}
