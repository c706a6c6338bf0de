/* context: plumbing shared by the six contexts; no rule of the business lives here. */
#include "context.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void outbox_init(struct outbox *o)
{
	memset(o, 0, sizeof *o);
}

void outbox_free(struct outbox *o)
{
	for (size_t i = 0; i < o->n; i++)
		kv_free(&o->items[i]);
	o->n = 0;
}

struct kv *outbox_add(struct outbox *o, const char *type, const struct event *ev)
{
	static const char *const carry[] = {"reservation", "car", "customer"};
	struct kv *m;

	if (o->n == OUTBOX_MAX)
		abort();
	m = &o->items[o->n++];
	kv_init(m);
	kv_set(m, "type", type);
	kv_set(m, "ref", kv_get(&ev->f, "id"));
	for (size_t i = 0; i < 3; i++)
		if (kv_get(&ev->f, carry[i]))
			kv_set(m, carry[i], kv_get(&ev->f, carry[i]));
	return m;
}

void outbox_refuse(struct outbox *o, const struct event *ev, int ctx, const char *reason)
{
	struct kv *m;

	if (o->n == OUTBOX_MAX)
		abort();
	m = &o->items[o->n++];
	kv_init(m);
	kv_set(m, "type", "refused");
	kv_set(m, "ref", kv_get(&ev->f, "id"));
	kv_set(m, "context", context_name(ctx));
	kv_set(m, "reason", reason);
}

int outbox_refuse_or_fail(struct outbox *o, const struct event *ev, int ctx, const struct rerr *why,
			  struct rerr *e)
{
	if (why->code == RX_IO) {
		*e = *why;
		return -1;
	}
	outbox_refuse(o, ev, ctx, why->msg);
	return 0;
}

int context_get(struct store *s, const char *ctx, const char *res, struct kv *r, struct rerr *e)
{
	char path[128];

	kv_init(r);
	if (!valid_id(res, "res"))
		return 1;
	context_res_path(path, sizeof path, ctx, res);
	return store_get_kv(s, path, r, e);
}

void context_res_path(char *out, size_t size, const char *ctx, const char *res)
{
	char sh[6];

	shard_id(sh, res);
	snprintf(out, size, "%s/res/%s/%s.yaml", ctx, sh, res);
}

void context_entry_path(const struct store *s, char *out, size_t size, const char *dir,
			const char *res, const char *suffix)
{
	const char *hex = strchr(res, '-');

	hex = hex ? hex + 1 : res;
	if (store_layout(s) >= 4)
		snprintf(out, size, "%s/%.1s/%.1s/%s%s", dir, hex, hex + 1, res, suffix);
	else
		snprintf(out, size, "%s/%.2s/%s%s", dir, hex, res, suffix);
}

void context_name_dir(char *out, size_t size, const char *ctx, const char *what, const char *name)
{
	char sh[3];

	shard_name(sh, name);
	snprintf(out, size, "%s/%s/%s/%s", ctx, what, sh, name);
}

long long context_cursor(struct store *s, int ctx, struct rerr *e)
{
	char p[64];
	struct kv m;
	long long seq;
	int rc;

	snprintf(p, sizeof p, "%s/cursor", context_name(ctx));
	rc = store_get_kv(s, p, &m, e);
	if (rc < 0)
		return -1;
	seq = rc == 1 ? 0 : kv_num(&m, "seq", -1);
	kv_free(&m);
	if (seq < 0)
		return rerr_set(e, RX_IO, "state/%s: corrupt", p);
	return seq;
}

void context_set_cursor(struct store *s, int ctx, long long seq)
{
	char p[64];
	struct kv m;

	kv_init(&m);
	snprintf(p, sizeof p, "%s/cursor", context_name(ctx));
	kv_setnum(&m, "seq", seq);
	store_put_kv(s, p, &m);
	kv_free(&m);
}

static int cmp_booking(const void *a, const void *b)
{
	const char *fa = kv_get(a, "from") ?: "", *fb = kv_get(b, "from") ?: "";
	int c = strcmp(fa, fb);

	return c ? c : strcmp(kv_get(a, "reservation") ?: "", kv_get(b, "reservation") ?: "");
}

void context_sort(struct kv *recs, size_t n)
{
	if (n > 1)
		qsort(recs, n, sizeof *recs, cmp_booking);
}

struct entries {
	struct store *s;
	const char *ctx;
	struct kv *v;
	size_t n;
};

/* An entry of a customer's folder is named by its reservation's id: adds the
 * context's record of it. */
static int add_entry(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct entries *l = arg;
	struct kv r;
	int rc;

	if (!valid_id(name, "res"))
		return 0;
	rc = context_get(l->s, l->ctx, name, &r, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = r;
	return 0;
}

int context_list(struct store *s, const char *ctx, const char *customer, struct kv **recs,
		 size_t *n, struct rerr *e)
{
	char dir[200];
	int rc;

	*recs = NULL;
	*n = 0;
	if (customer == NULL) {
		snprintf(dir, sizeof dir, "%s/res", ctx);
		rc = store_read_records(s, dir, recs, n, e);
	} else {
		struct entries l = {s, ctx, NULL, 0};
		context_name_dir(dir, sizeof dir, ctx, "customers", customer);
		rc = store_walk(s, dir, add_entry, &l, e);
		*recs = l.v;
		*n = l.n;
	}
	context_sort(*recs, *n);
	return rc;
}
