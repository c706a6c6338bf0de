/* dispatch: the only writer of state/. A batch is: admit (verify and log) what waits in
 * spool/new one event at a time, each followed by every enabled context catching up
 * with the log through its cursor, commit once, and only then remove the applied files
 * from the spool. */
#define _XOPEN_SOURCE 700
#include "dispatch.h"
#include "context.h"
#include "ledger.h"
#include "limit.h"
#include "records.h"
#include "payment.h"
#include "replica.h"
#include "replicate.h"
#include "spool.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What the operator is told of long work and of waiting (bin/dispatcher.c). */
static void (*progress_fn)(const char *phase, size_t done, size_t total);
static void (*wait_fn)(const char *why);

static const context_apply_fn appliers[CTX_COUNT] = {
	management_apply, reservation_apply, payment_apply, rental_apply, rating_apply, mypage_apply};

/* Whether context ctx applies ev (the table of event types says): the others only
 * read past it. */
static int follows(int ctx, const struct event *ev)
{
	const struct event_type *t = event_type_get(ev);

	return t && (t->followers & (1u << ctx));
}

/* A line as it is: whoever prints it shows a newline, a terminal escape or a byte that
 * is no character escaped (bin/cli.h's put_message), so none makes a line of the
 * operator's log or acts on a terminal. */
void report_add(struct report *r, int failure, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	r->lines = xrealloc(r->lines, (r->n + 1) * sizeof *r->lines);
	r->lines[r->n++] = line;
	r->failed |= failure;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof *r);
}

static int load_dispatcher_key(const struct home *h, struct seckey *k, struct rerr *e)
{
	char *p = xasprintf("%s/dispatcher.key", h->keys);
	int rc = seckey_load(k, p, e);

	free(p);
	return rc;
}

/* Whether k (keys/dispatcher.key) is the key s registers for the dispatcher (once it
 * registers one: a new home's first batch does): outcomes and commits signed with
 * another pass for no one's (replicas refuse them, and a rebuild finds every outcome
 * changed). RX_CONFIG if it is not. */
static int own_key_registered(const struct home *h, struct store *s, const struct seckey *k,
			      struct rerr *e)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct kv reg;
	int rc;

	if ((rc = ledger_key(s, "dispatcher", &reg, e)) != 0)
		return rc < 0 ? -1 : 0;
	const char *b64 = kv_get(&reg, "pubkey");
	if (b64 == NULL || sig_pk_decode(pk, b64) < 0 || memcmp(pk, k->pk, sizeof pk) != 0)
		rc = rerr_set(e, RX_CONFIG, "%s/dispatcher.key: not the key the log registers for the "
			      "dispatcher (%.12s...): put this home's own key back", h->keys,
			      b64 ? b64 : "");
	kv_free(&reg);
	return rc;
}

/* Loads keys/dispatcher.key, the key s registers for the dispatcher. */
static int load_own_key(const struct home *h, struct store *s, struct seckey *k, struct rerr *e)
{
	if (load_dispatcher_key(h, k, e) < 0)
		return -1;
	if (own_key_registered(h, s, k, e) < 0) {
		seckey_free(k);
		return -1;
	}
	return 0;
}

int dispatch_signing_key(const struct home *h, unsigned char pk[crypto_sign_PUBLICKEYBYTES],
			 struct rerr *e)
{
	struct seckey k;
	struct replica r;

	if (home_is_replica(h)) { /* a replica's commits are its primary's */
		if (home_replica_read(h, &r, e) < 0)
			return -1;
		if (!r.trusted)
			return rerr_set(e, RX_TEMP, "%s: a replica that trusts no key yet: it has not "
					"followed %s yet", h->root, r.url);
		memcpy(pk, r.trust, crypto_sign_PUBLICKEYBYTES);
		return 0;
	}
	if (load_dispatcher_key(h, &k, e) < 0)
		return -1;
	memcpy(pk, k.pk, crypto_sign_PUBLICKEYBYTES);
	seckey_free(&k);
	return 0;
}

/* Whether main's commit is the dispatcher's, as store_signed_base (1: not; base the
 * last it signed), main missing from a history refused first. */
static int hand_made(const struct home *h, struct store *s, char base[41], struct rerr *e)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];

	/* main removed: a batch would begin another history beside it, as a new home's first */
	if (store_main_missing(s, RX_DATA, e) < 0 || dispatch_signing_key(h, pk, e) < 0)
		return -1;
	return store_signed_base(s, pk, base, e);
}

/* How far this dispatcher has committed the log, and at which commit: "entries: N",
 * "commit: HEX", written after each batch's commit (not synced: one lost is older, and
 * older says nothing). */
static char *logged_mark(const struct home *h)
{
	return xasprintf("%s/.git/rental-logged", h->state);
}

static void note_logged(const struct home *h, struct store *s)
{
	struct rerr io = {0};
	long long head = ledger_head(s, &io);
	char *mark = logged_mark(h), *text, commit[41];

	store_head(s, commit);
	if (head >= 0) {
		text = xasprintf("entries: %lld\ncommit: %s\n", head, commit);
		fs_write_atomic(mark, text, strlen(text), 0, NULL);
		free(text);
	}
	free(mark);
}

/* A main whose log ends before what this dispatcher committed (set back by hand): what
 * was logged after would be lost, silently, under the next commit (a whole older
 * state/.git put back holds its older mark too: a restore on purpose). RX_DATA, naming
 * the commit to set main to; the mark removed by hand says the older state is meant. */
static int refuse_set_back(const struct home *h, struct store *s, long long head, struct rerr *e)
{
	char *mark = logged_mark(h), way[400];
	struct kv m;
	long long was;
	int rc = 0;

	if (kv_load(mark, &m, NULL) == 0 && head < (was = kv_num(&m, "entries", 0))) {
		const char *at = kv_get(&m, "commit") ?: "";
		if (store_commit_exists(s, at))
			snprintf(way, sizeof way, "set it forward again (git --git-dir=%s/.git update-ref "
				 "refs/heads/main %s), or, ", h->state, at);
		else /* gone (objects put back from an older copy too): only the older state is left */
			snprintf(way, sizeof way, "that commit is not in the repository; ");
		rc = rerr_set(e, RX_DATA, "state: main's log ends at entry %lld, but this dispatcher "
			      "committed entries up to %lld, at commit %.12s: main was set back (by hand: "
			      "git update-ref, or its ref file put back), and the events after would be lost; "
			      "%sto go on from the older state on purpose, remove %s", head, was, at, way, mark);
	}
	kv_free(&m);
	free(mark);
	return rc;
}

/* Nothing is admitted, and no batch committed, on a commit of main the dispatcher did
 * not sign (no replica takes it, nor a commit made on it): its events would be judged
 * by a state no event made. 0 if main is its own (or older than signing). */
static int refuse_hand_made(const struct home *h, struct store *s, struct rerr *e)
{
	char head[41], base[41];
	int rc = hand_made(h, s, base, e);

	if (rc != 1)
		return rc < 0 ? -1 : 0;
	store_head(s, head);
	return rerr_set(e, RX_DATA, "state: main's commit %.12s is not signed by this home's "
			"dispatcher (made by hand?): no batch is committed on it, as no replica would "
			"take it; 'dispatcher --rebuild' sets main back to %.12s, the last commit it "
			"signed, and makes the state again from the log", head, base);
}

/* A rebuild's first step: main's newest commits, which the dispatcher did not sign (a
 * person's), are taken out: main is set back to the last it signed. Not if they add
 * entries to the log: events, which a person's edit does not make (a release that
 * did not sign?), are not dropped. */
static int take_out_hand_made(const struct home *h, struct store *real, struct report *r,
			      size_t *rewritten, struct rerr *e)
{
	struct store *b = NULL;
	struct rerr why = {0};
	char head[41], base[41];
	long long now, then;
	int rc = hand_made(h, real, base, e);

	if (rc != 1)
		return rc < 0 ? -1 : 0; /* 2: a history older than signing, which --upgrade takes */
	store_head(real, head);
	now = ledger_head(real, &why); /* unreadable: what the person broke, taken out */
	rc = store_open_commit(&b, h->state, base, 0, e) < 0 || (then = ledger_head(b, e)) < 0 ? -1 : 0;
	store_free(b);
	if (rc == 0 && now > then)
		rc = rerr_set(e, RX_DATA, "main's commits since %.12s, which this home's dispatcher did "
			      "not sign, add entries %lld to %lld to the log: events are not taken out "
			      "(did a release that does not sign run here?); if they are not, set main "
			      "back to %.12s by hand (git update-ref)", base, then + 1, now, base);
	if (rc < 0 || store_set_main(real, base, e) < 0)
		return -1;
	report_add(r, 1, "main's commit %.12s, not signed by this home's dispatcher (made by hand?), is "
		   "taken out: main is set back to %.12s, the last commit it signed", head, base);
	++*rewritten;
	return 0;
}

/* A spool file as the batch found it: parsed (state 0), refused with a reason (1),
 * gone before it was read (2: its writer took it back; nothing was accepted), or
 * unreadable for a fault of this machine (-1, e). */
struct incoming {
	struct event ev;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES]; /* its signer's key, if has_pk */
	int has_pk;
	int state;
	char reason[600];
	struct rerr e;
};

/* Reads and parses one spool file: the checks that need no state. Runs on any thread. */
static void read_incoming(const struct home *h, const char *name, struct incoming *in)
{
	char *path = xasprintf("%s/new/%s", h->spool, name), *buf = NULL;
	struct rerr why = {0};
	struct stat st;
	size_t len;

	event_init(&in->ev);
	in->state = 1;
	int rc = lstat(path, &st) < 0 ? (errno == ENOENT ? 1 : -1) : 0;

	if (rc != 0) {
		in->state = rc > 0 ? 2 : -1;
		rerr_set(&in->e, RX_IO, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(in->reason, sizeof in->reason, "%s: not a regular file", name);
	} else if (st.st_size > EVENT_MAX) {
		snprintf(in->reason, sizeof in->reason, "%s: larger than %d bytes", name, EVENT_MAX);
	} else if (errno = 0, (rc = fs_read(path, EVENT_MAX, &buf, &len, &why)) != 0) {
		if (rc > 0)
			in->state = 2;
		else if (errno == EACCES) /* the home's fault, not the event's: it can come back */
			snprintf(in->reason, sizeof in->reason, "%s: the dispatcher's user may not read "
				 "it; once it may, move it back into spool/new", name);
		else
			snprintf(in->reason, sizeof in->reason, "%s", why.msg);
	} else if (event_parse(&in->ev, buf, len, name, &why) < 0) {
		snprintf(in->reason, sizeof in->reason, "%s", why.msg);
	} else if (spool_name_id(name) == NULL ||
		   strcmp(spool_name_id(name), kv_get(&in->ev.f, "id")) != 0) {
		snprintf(in->reason, sizeof in->reason, "%s: file name does not carry the event's id %s",
			 name, kv_get(&in->ev.f, "id"));
	} else {
		in->state = 0;
	}
	free(buf);
	free(path);
}

/* The signatures of a batch are checked on every core before admission, which is in
 * order and on one: each spool file is read, parsed and verified against the keys as
 * the batch found them (ledger_signer_key, event_preverify); admission takes those
 * verdicts where the signer's key is still the same. */
struct prepass {
	const struct home *h;
	struct store *s;
	const struct spool_list *l;
	struct incoming *in;
};

static int read_one(void *ctx, size_t i, struct rerr *e)
{
	struct prepass *p = ctx;

	read_incoming(p->h, p->l->names[i], &p->in[i]);
	return 0;
}

static int verify_one(void *ctx, size_t i, struct rerr *e)
{
	struct prepass *p = ctx;

	if (p->in[i].state == 0 && p->in[i].has_pk)
		event_preverify(&p->in[i].ev, p->in[i].pk);
	return 0;
}

/* Files read and signatures checked on both cores; the signers' keys looked up in
 * between on this thread, since the store (its caches, its packs) has one reader. */
static struct incoming *prepass(const struct home *h, struct store *s, const struct spool_list *l)
{
	struct prepass p = {h, s, l, xcalloc(l->n + 1, sizeof *p.in)};
	struct par par;

	par_start(&par, l->n, read_one, &p);
	par_finish(&par, 1, NULL);
	for (size_t i = 0; i < l->n; i++)
		if (p.in[i].state == 0)
			p.in[i].has_pk = ledger_signer_key(s, &p.in[i].ev, p.in[i].pk) == 0;
	par_start(&par, l->n, verify_one, &p);
	par_finish(&par, 1, NULL);
	return p.in;
}

/* A file whose time is the last batch's: the dispatcher's lock, touched at each. */
static char *last_batch_mark(const struct home *h)
{
	return xasprintf("%s/.git/rental.lock", h->state);
}

struct claim {
	const char *id;
	size_t i;
};

static int by_id(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

static int same_bytes(const struct event *x, const struct event *y)
{
	return x->len == y->len && memcmp(x->raw, y->raw, x->len) == 0;
}

/* Events of the batch that claim one id with other bytes, each signed by its signer's
 * registered key (a file whose signature fails is no rival: admission drops it): the
 * first to arrive is taken and the others are quarantined after it ("already used");
 * but when the first rival arrived within the tick of the file system's clock in
 * which the first claim did, which came first cannot be told (a name is the writer's
 * to choose, and a customer who read another's waiting event must not take its id):
 * none is taken, all are quarantined. A copy (the same bytes) is skipped once the
 * first is logged, as ever. */
static void refuse_rival_ids(const struct spool_list *l, struct incoming *in)
{
	struct claim *v = xcalloc(l->n + 1, sizeof *v);
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (in[i].state == 0 && in[i].ev.verdict == 1)
			v[n++] = (struct claim){kv_get(&in[i].ev.f, "id"), i};
	if (n > 1)
		qsort(v, n, sizeof *v, by_id);
	for (size_t a = 0, b; a < n; a = b) {
		const struct event *first = &in[v[a].i].ev;
		size_t rival = 0; /* the first claim with other bytes, if any */
		for (b = a + 1; b < n && !strcmp(v[a].id, v[b].id); b++)
			if (!rival && !same_bytes(first, &in[v[b].i].ev))
				rival = b;
		const struct timespec *t0 = &l->at[v[a].i], *t1 = rival ? &l->at[v[rival].i] : NULL;
		if (!t1 || ts_cmp(t0, t1) < 0)
			continue; /* none, or the first arrived first: admission quarantines the others */
		for (size_t k = a; k < b; k++) {
			in[v[k].i].state = 1;
			snprintf(in[v[k].i].reason, sizeof in[v[k].i].reason,
				 "%s: id %s is claimed by other bytes waiting with it: none is taken",
				 l->names[v[k].i], v[k].id);
		}
	}
	free(v);
}

/* Admits one read spool file into the log, or says why not (in->reason set, return 1). */
static int admit(struct store *s, const char *name, struct incoming *in, const char *today,
		 int rules, int *skipped, struct rerr *e)
{
	struct rerr why = {0};
	long long seq;
	int rc;

	*skipped = 0;
	if (in->state != 0) {
		if (in->state < 0)
			*e = in->e;
		return in->state;
	}
	/* An id applied before: these very bytes again (a run killed after its commit, or
	 * a copy) are skipped; other bytes under it are another event, quarantined. */
	char *logged;
	size_t llen;
	const char *id = kv_get(&in->ev.f, "id");
	if ((rc = ledger_logged(s, id, &logged, &llen, e)) < 0)
		return -1;
	if (rc == 0) {
		*skipped = llen == in->ev.len && memcmp(logged, in->ev.raw, llen) == 0;
		free(logged);
		if (*skipped)
			return 0;
		snprintf(in->reason, sizeof in->reason, "%s: id %s already used by another event", name, id);
		return 1;
	}
	if (ledger_admit(s, &in->ev, &why) < 0) {
		if (why.code == RX_IO) {
			*e = why;
			return -1;
		}
		snprintf(in->reason, sizeof in->reason, "%s: %s", name, why.msg);
		return 1;
	}
	return ledger_append(s, &in->ev, today, rules, &seq, e);
}

/* The batch's own log entries, each parsed once, since every context reads them all.
 * Older entries (a context catching up) are parsed as they are read, one at a time, so
 * memory stays bounded by the batch, not the history. Entries only ever come after
 * the head a context has closed with store_end, so none cached is ever rolled back. */
struct logcache {
	long long base;       /* the log's head when the batch began */
	struct event *ev;     /* ev[seq - base - 1], parsed when first read */
	unsigned char *have;
	size_t cap;
	struct event older;   /* the last older entry read */
};

static void logcache_init(struct logcache *c, long long base)
{
	memset(c, 0, sizeof *c);
	c->base = base;
	event_init(&c->older);
}

static void logcache_free(struct logcache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		event_free(&c->ev[i]);
	event_free(&c->older);
	free(c->ev);
	free(c->have);
	memset(c, 0, sizeof *c);
}

/* The logged event at seq, or NULL (e set); the cache owns it. */
static const struct event *logcache_read(struct logcache *c, struct store *s, long long seq,
					 struct rerr *e)
{
	struct event *ev = &c->older;

	if (seq > c->base) {
		size_t i = (size_t)(seq - c->base - 1);
		if (i >= c->cap) {
			size_t cap = i + 1 > 2 * c->cap ? i + 1 : 2 * c->cap;
			c->ev = xrealloc(c->ev, cap * sizeof *c->ev);
			c->have = xrealloc(c->have, cap);
			for (size_t j = c->cap; j < cap; j++)
				event_init(&c->ev[j]);
			memset(c->have + c->cap, 0, cap - c->cap);
			c->cap = cap;
		}
		if (c->have[i])
			return &c->ev[i];
		ev = &c->ev[i];
		c->have[i] = 1;
	}
	event_free(ev);
	if (ledger_read(s, seq, ev, e) == 0)
		return ev;
	event_free(ev);
	if (seq > c->base)
		c->have[seq - c->base - 1] = 0;
	return NULL;
}

/* The outcomes of a context's run not yet in the log, in the order they were made. */
struct pending {
	struct event *v;
	size_t n, cap;
	const struct seckey *k;
};

/* What the events of a batch share: the day they are admitted on, and the lines of
 * its commit message (ACTOR TYPE OBJECT, an event each). */
struct audit {
	char today[11];
	int rules; /* the rules they are decided by, logged with each (rec_rules) */
	char *text;
	size_t len;
	struct report notes; /* rejections and refusals, said once the batch is committed */
};

/* What an event makes or acts on: a new booking's or block's own id, a key's name,
 * else the booking, block, car or key it names. */
static const char *event_object(const struct event *ev)
{
	enum event_kind kind = event_kind_of(ev);

	if (kind == EV_RESERVE || kind == EV_CAR_BLOCK)
		return kv_get(&ev->f, "id");
	if (kind == EV_KEY_ADD || kind == EV_KEY_RM)
		return kv_get(&ev->f, "name");
	if (kv_get(&ev->f, "reservation"))
		return kv_get(&ev->f, "reservation");
	if (kv_get(&ev->f, "block"))
		return kv_get(&ev->f, "block");
	if (kv_get(&ev->f, "car"))
		return kv_get(&ev->f, "car");
	return kv_get(&ev->f, "ref") ? kv_get(&ev->f, "ref") : kv_get(&ev->f, "id");
}

static void audit_add(struct audit *a, const struct event *ev)
{
	char *line = xasprintf("%s %s %s\n", kv_get(&ev->f, "actor"), kv_get(&ev->f, "type"),
			       event_object(ev));
	size_t l = strlen(line);

	a->text = xrealloc(a->text, a->len + l + 1);
	memcpy(a->text + a->len, line, l + 1);
	a->len += l;
	free(line);
}

/* Whether an outcome pending since from has this id. An outcome's id is derived from
 * its source's id and its type, so only the outcomes of one event can share one. */
static int pending_has(const struct pending *p, size_t from, const char *id)
{
	for (size_t i = from; i < p->n; i++)
		if (strcmp(kv_get(&p->v[i].f, "id"), id) == 0)
			return 1;
	return 0;
}

static void pending_drop(struct pending *p, size_t from)
{
	while (p->n > from)
		event_free(&p->v[--p->n]);
}

static int seal_one(void *ctx, size_t i, struct rerr *e)
{
	struct pending *p = ctx;

	event_seal(&p->v[i], p->k);
	return 0;
}

/* Signs the pending outcomes (on both cores when they are many: a context catching up
 * with a log it was held back from), then logs them in order. The log is the
 * one logging each at once would give: nothing else is logged while a context runs,
 * and the context reads none of them before they are logged. */
static int log_pending(struct store *s, struct pending *p, long long *head, size_t *made,
		       struct audit *a, struct rerr *e)
{
	struct par par;
	int rc = 0;

	par_start(&par, p->n, seal_one, p);
	par_finish(&par, 1, NULL);
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		const struct kv *f = &p->v[i].f;
		rc = ledger_append(s, &p->v[i], a->today, a->rules, head, e);
		audit_add(a, &p->v[i]);
		if (event_kind_of(&p->v[i]) == EV_RES_REJECTED || event_kind_of(&p->v[i]) == EV_BLOCK_REJECTED)
			report_add(&a->notes, 0, "rejected %s: %s",
				   kv_get(f, "reservation") ? kv_get(f, "reservation") : kv_get(f, "block"),
				   kv_get(f, "reason") ? kv_get(f, "reason") : "(no reason)");
		else if (event_kind_of(&p->v[i]) == EV_REFUSED)
			report_add(&a->notes, 0, "refused %s (%s): %s", kv_get(f, "ref"), kv_get(f, "context"),
				   kv_get(f, "reason"));
	}
	if (rc == 0)
		*made += p->n;
	pending_drop(p, 0);
	return rc;
}

/* The rules of context ctx applied to ev, in the unit the caller began: 0, or -1 with
 * why where they failed or a record writer of theirs could not read. */
static int apply_rules(struct store *s, int ctx, const struct event *ev, struct outbox *out,
		       struct rerr *why)
{
	int rc = follows(ctx, ev) ? appliers[ctx](s, ev, out, why) : 0;

	return rc == 0 ? store_unit_failed(s, why) : rc;
}

/* Applies the event at seq in context ctx, in a unit of the store, its outcomes
 * added to p; on a failure the unit and those outcomes are taken back, and why says
 * what failed. */
static int apply_event(struct store *s, int ctx, struct logcache *lc, long long seq,
		       struct pending *p, struct rerr *why)
{
	size_t mark = p->n;
	struct outbox out;
	int rc;

	outbox_init(&out);
	store_begin(s);
	const struct event *ev = logcache_read(lc, s, seq, why);
	rc = ev == NULL ? -1 : apply_rules(s, ctx, ev, &out, why);
	for (size_t i = 0; rc == 0 && i < out.n; i++) {
		struct event oc;
		event_outcome_fields(&oc, &out.items[i], ev, 0);
		int seen = ledger_seen(s, kv_get(&oc.f, "id"), why);
		if (seen < 0)
			rc = -1;
		if (seen != 0 || pending_has(p, mark, kv_get(&oc.f, "id"))) {
			event_free(&oc);
			continue;
		}
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 64;
			p->v = xrealloc(p->v, p->cap * sizeof *p->v);
		}
		p->v[p->n++] = oc;
	}
	outbox_free(&out);
	if (rc < 0) {
		store_rollback(s);
		pending_drop(p, mark);
		return -1;
	}
	store_end(s);
	return 0;
}

/* Where the contexts stand in the log over a batch: each one's cursor, read once and
 * written back when the batch is done, and the log's entries they read. */
struct readers {
	struct logcache lc;
	long long cur[CTX_COUNT], start[CTX_COUNT]; /* -1: not read yet */
};

static void readers_init(struct readers *r, long long base)
{
	logcache_init(&r->lc, base);
	for (int ctx = 0; ctx < CTX_COUNT; ctx++)
		r->cur[ctx] = r->start[ctx] = -1;
}

/* Writes back the cursors that moved. */
static void readers_save(struct readers *r, struct store *s)
{
	for (int ctx = 0; ctx < CTX_COUNT; ctx++)
		if (r->cur[ctx] != r->start[ctx])
			rec_set_cursor(s, ctx, r->cur[ctx]);
}

/* Runs context ctx over the log from its cursor to the end (*head, which its logged
 * outcomes move); *advanced says whether it moved. A failure of an event rolls back
 * that event and stops this context only; the outcomes of the events before it are
 * logged. */
static int run_context(struct store *s, int ctx, const struct seckey *k, struct readers *rd,
		       long long *head, int *advanced, struct dispatch_stats *st, struct audit *a,
		       struct rerr *e)
{
	struct rerr cwhy = {0};
	struct pending pend = {.k = k};
	int failed = 0, rc = 0;

	*advanced = 0;
	if (rd->cur[ctx] < 0 && (rd->cur[ctx] = rd->start[ctx] = rec_cursor(s, ctx, &cwhy)) < 0) {
		st->failed[ctx]++; /* a corrupt cursor holds back its own context only */
		snprintf(st->failure[ctx], sizeof st->failure[ctx], "%.250s", cwhy.msg);
		return 0;
	}
	long long cur = rd->cur[ctx], start = cur;
	/* The context's own outcomes follow the events it has read, and it reads them
	 * next, once they are logged. */
	while (rc == 0 && !failed && cur < *head) {
		for (; cur < *head; cur++) {
			struct rerr why = {0};
			if (apply_event(s, ctx, &rd->lc, cur + 1, &pend, &why) < 0) {
				st->failed[ctx]++;
				snprintf(st->failure[ctx], sizeof st->failure[ctx], "%.250s", why.msg);
				failed = 1;
				break;
			}
		}
		if (pend.n > 0 && log_pending(s, &pend, head, &st->outcomes, a, e) < 0)
			rc = -1; /* the batch fails: nothing of it is committed */
	}
	free(pend.v);
	rd->cur[ctx] = cur;
	*advanced = cur != start;
	return rc;
}

/* Lets every enabled context catch up with the log, signing its outcomes with k (the
 * dispatcher's key, loaded at the first need); outcomes of one context feed the
 * others, so it goes round until no one moves. */
static int run_contexts(const struct home *h, struct store *s, const struct cfg *c,
			struct seckey *k, struct readers *rd, struct dispatch_stats *st, struct audit *a,
			struct rerr *e)
{
	if (k->sk == NULL && load_own_key(h, s, k, e) < 0)
		return -1;
	long long head = ledger_head(s, e);
	int progress = 1, rc = head < 0 ? -1 : 0;

	while (progress && rc == 0) {
		progress = 0;
		for (int ctx = 0; ctx < CTX_COUNT && rc == 0; ctx++) {
			int advanced = 0;
			if (!c->enabled[ctx] || st->failed[ctx] || rd->cur[ctx] == head)
				continue;
			rc = run_context(s, ctx, k, rd, &head, &advanced, st, a, e);
			progress |= advanced;
		}
	}
	return rc;
}

/* Events of the log that contexts switched off or failing have not applied yet. */
static void count_held(struct store *s, const struct cfg *c, struct dispatch_stats *st)
{
	long long head = ledger_head(s, NULL), cur;

	for (int ctx = 0; ctx < CTX_COUNT; ctx++)
		if ((!c->enabled[ctx] || st->failed[ctx]) && (cur = rec_cursor(s, ctx, NULL)) >= 0)
			st->held += (size_t)(head - cur);
}

/* Opens the home's state and takes its lock; the layout is the caller's to check. */
static int open_locked(const struct home *h, struct store **s, int wait, struct rerr *e)
{
	char *newdir = xasprintf("%s/new", h->spool);
	int rc = 0;

	*s = NULL;
	if (h->root[0] == '\0')
		rc = rerr_set(e, RX_CONFIG, "the home is an empty name");
	else if (!fs_exists(newdir) && h->spool_named) /* not a home's fault: the setting's */
		rc = rerr_set(e, RX_CONFIG, "%s: spool: %s has no new/ (a folder not mounted?)",
			      h->config, h->spool);
	else if (!fs_exists(newdir))
		rc = rerr_set(e, RX_CONFIG, "%s: not a home (no spool/new); run 'carctl init %s'",
			      h->root, h->root);
	free(newdir);
	/* Only carctl init makes the repository: one removed is no new home, and the events
	 * waiting are not judged against an empty state (no key registered there); nor one
	 * put back in the wrong place (home_has_repo says what it finds). */
	if (rc == 0)
		rc = home_has_repo(h, e);
	if (rc == 0)
		rc = store_open(s, h->state, e);
	if (rc == 0 && (rc = store_lock(*s, 0, e)) < 0 && e->code == RX_TEMP && wait) {
		if (wait_fn)
			wait_fn(e->msg);
		rc = store_lock(*s, 1, e);
	}
	return rc;
}

/* A lock this process holds for as long as it runs: on path, as it was when taken. */
struct held {
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
};

static void let_go(struct held *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/* Locks fd, waiting up to a second for another holder to let go: 0, or -1 with errno
 * (EWOULDBLOCK: still held). A holder may be a dispatcher of this home just killed,
 * whose files the kernel closes one by one: the home's lock, taken before, may be free
 * while these are not yet. That one lets go in a moment; another home's does not. */
static int lock_within_a_second(int fd)
{
	for (int tries = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (errno != EWOULDBLOCK || tries == 100)
			return -1;
		usleep(10000);
	}
	return 0;
}

/* Holds path (open with flags) locked, unless h holds it already as it is: 0 (*fresh
 * if taken now); 1 if another process holds it (after a second's wait); 2 if it cannot
 * be opened or locked here (a file system without locks), errno saying why. */
static int hold(struct held *h, const char *path, int flags, int *fresh)
{
	struct stat st;
	int fd;

	if (h->fd >= 0 && strcmp(h->path, path) == 0 && stat(path, &st) == 0 && st.st_dev == h->dev &&
	    st.st_ino == h->ino)
		return 0;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	if ((fd = open(path, flags | O_CLOEXEC, 0644)) < 0)
		return 2;
	if (lock_within_a_second(fd) < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return err == EWOULDBLOCK ? 1 : 2;
	}
	free(h->path);
	h->path = xstrdup(path);
	h->fd = fd, h->dev = st.st_dev, h->ino = st.st_ino;
	*fresh = 1;
	return 0;
}

/* One spool, one home: the process that applies a home's batches (which serves one
 * home) holds, from its first batch until it ends and while it holds the home's own
 * lock, locks on the spool's file served-by (which names the home; NFS locks a file
 * opened for writing) and on its new/ (this machine's), each where it can. A holder
 * that does not let go within a second is another home's dispatcher (a copy of this
 * home, or a home whose settings name this spool), which would take a share of the
 * events: refused, and it lets go of both, so that two never hold one each for good.
 * Each batch looks again: the spool the settings name, or its files, may have changed
 * since. A copy run by turns (cron) holds nothing while this one runs: the home
 * served-by names, if another whose settings still name this spool, is that one.
 * Where neither can be locked (a file system without locks), nothing can tell. */
static int serve_spool(const struct home *h, struct rerr *e)
{
	static struct held dir = {-1, NULL, 0, 0}, file = {-1, NULL, 0, 0};
	char *newdir = xasprintf("%s/new", h->spool), *path = xasprintf("%s/served-by", h->spool);
	char *who = NULL;
	int fresh = 0, named, listed, rc = 0;

	if ((dir.fd >= 0 && strcmp(dir.path, newdir) != 0) || (file.fd >= 0 && strcmp(file.path, path) != 0))
		let_go(&dir), let_go(&file); /* another spool: both anew */
	if ((named = hold(&file, path, O_RDWR | O_CREAT, &fresh)) == 2)
		named = hold(&file, path, O_RDONLY, &fresh); /* another user's file: read-only */
	listed = named == 1 ? 2 : hold(&dir, newdir, O_RDONLY | O_DIRECTORY, &fresh);
	int other_holds = named == 1 || listed == 1, taken_now = named == 0 && fresh;
	if (other_holds || taken_now) {
		size_t len;
		if (fs_read(path, PATH_MAX + 1, &who, &len, NULL) == 0)
			who[strcspn(who, "\n")] = '\0';
	}
	if (other_holds || (taken_now && who && *who && home_rival(h, who))) {
		let_go(&dir), let_go(&file);
		rc = rerr_set(e, RX_CONFIG, "%s: served by the dispatcher of another home (%s, as "
			      "served-by names it): a copy of this home, or a home whose settings name "
			      "this spool; one spool, one home%s", h->spool, who && *who ? who : "unnamed",
			      other_holds ? "" : " (if that home serves it no more, remove served-by)");
	} else if (taken_now && file.fd >= 0) {
		char *root = realpath(h->root, NULL), *line = xasprintf("%s\n", root ? root : h->root);
		if (ftruncate(file.fd, 0) == 0) /* the name is for people; the lock is what holds */
			(void)!pwrite(file.fd, line, strlen(line), 0);
		free(line);
		free(root);
	}
	free(who);
	free(newdir);
	free(path);
	return rc;
}

int dispatch_open(const struct home *h, struct store **s, int wait, struct rerr *e)
{
	if (open_locked(h, s, wait, e) < 0 || rec_check_layout(*s, e) < 0)
		return -1;
	return store_drop_checkout(*s, rec_checked_out, e);
}

static int run_batch(const struct home *h, struct store *s, const struct cfg *c,
		     struct dispatch_stats *st, struct rerr *e)
{
	struct spool_list l = {0};
	struct seckey k = {0};
	struct incoming *in = NULL;
	char **done = NULL;
	struct audit audit = {0};
	struct readers rd;
	size_t ndone = 0;
	long long base;
	int rc = -1;

	memset(st, 0, sizeof *st);
	out_of_memory_after(NULL); /* the last batch's, said until this one begins */
	if (serve_spool(h, e) < 0)
		return -1;
	today_utc(audit.today);
	if (store_follow_main(s, e) < 0 || refuse_hand_made(h, s, e) < 0 || (base = ledger_head(s, e)) < 0 ||
	    refuse_set_back(h, s, base, e) < 0)
		return -1;
	readers_init(&rd, base);
	/* A writer killed mid-write leaves its file in tmp/; after an hour it is litter. */
	spool_clean_tmp(h->spool, SPOOL_TMP_MAX_AGE, NULL);
	if (spool_list_new(&l, h->spool, DISPATCH_BATCH_MAX, e) < 0)
		return -1;
	done = xcalloc(l.n + 1, sizeof *done);
	/* A new home's first batch names the layout of its records. */
	if (!store_has_commit(s) && l.n > 0)
		rec_set_layout(s, RECORDS_LAYOUT);
	if ((audit.rules = rec_rules(s, e)) < 0)
		goto out;
	char *mark = last_batch_mark(h);
	utimensat(AT_FDCWD, mark, NULL, 0); /* best effort: --check reads it */
	free(mark);
	in = prepass(h, s, &l);
	refuse_rival_ids(&l, in);
	for (size_t i = 0; i < l.n; i++) {
		int skipped, r = admit(s, l.names[i], &in[i], audit.today, audit.rules, &skipped, e);
		if (r < 0)
			goto out;
		if (r == 2) /* gone: its writer took it back before it was read */
			continue;
		if (r == 1) {
			struct rerr q = {0};
			if ((r = spool_quarantine(h->spool, l.names[i], in[i].reason, &q)) < 0) {
				if (e)
					*e = q;
				goto out;
			}
			if (r == 1) /* gone, as it was being quarantined */
				continue;
			if (r == 2) /* another user's folder, set aside in new/ */
				report_add(&st->notes, 1, "%s", q.msg);
			else
				report_add(&st->notes, 1, "quarantined %s", in[i].reason);
			st->quarantined++;
			continue;
		}
		done[ndone++] = l.names[i];
		if (skipped) {
			st->skipped++;
			continue;
		}
		st->applied++;
		audit_add(&audit, &in[i].ev);
		/* Every context learns what the event makes, and what follows from that,
		 * before the next is admitted: the batch decides as batches of one event
		 * each would, so a step on a booking is decided on the outcomes of the steps
		 * before it (pay, then reserve cancel: the cancel refused), and a booking
		 * after a change of its car is priced by it. */
		if (run_contexts(h, s, c, &k, &rd, st, &audit, e) < 0)
			goto out;
	}
	/* A context switched on again catches up, whether or not anything came. */
	if (ledger_head(s, e) > 0) {
		if (run_contexts(h, s, c, &k, &rd, st, &audit, e) < 0)
			goto out;
		readers_save(&rd, s);
		count_held(s, c, st);
	}
	crash_point("state");
	/* Every commit is signed by the dispatcher's key, as git verifies it. */
	if (k.sk == NULL && store_changes(s) > 0 && load_own_key(h, s, &k, e) < 0)
		goto out;
	store_set_signer(s, k.sk ? &k : NULL);
	store_oom_after_commit(s, "after its batch was committed (the next run skips what it applied)");
	rc = store_commit(s, audit.text, e);
	store_set_signer(s, NULL);
	if (rc < 0)
		goto out;
	rc = -1;
	st->committed = 1;
	note_logged(h, s);
	/* Only now, with the commit durable, may the applied files leave the spool. */
	crash_point("spool");
	for (size_t i = 0; i < ndone; i++) {
		if (spool_remove(h->spool, done[i], e) < 0)
			goto out;
		if (i == 0)
			crash_point("spool-half");
	}
	if (c->enabled[CTX_PAYMENT] &&
	    payment_breaker_record(h->spool, c, st->failed[CTX_PAYMENT] > 0, e) < 0)
		goto out;
	spool_oldest_age(h->spool, &st->remaining);
	/* With the batch done and out of memory: merge git packs (bounded, amortised). */
	if (store_maintain(s, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		store_discard(s); /* nothing of a failed batch may ride along with the next */
	seckey_free(&k);
	logcache_free(&rd.lc);
	free(audit.text);
	if (st->committed) /* its rejections are the state's, whatever failed after */
		for (size_t i = 0; i < audit.notes.n; i++)
			report_add(&st->notes, 0, "%s", audit.notes.lines[i]);
	report_free(&audit.notes);
	for (size_t i = 0; in && i < l.n; i++)
		event_free(&in[i].ev);
	free(in);
	free(done);
	spool_list_free(&l);
	return rc;
}

/* The last batch's failure, kept for --check until a batch succeeds: a batch that
 * fails at every run (a damaged object it reads, a disk that refuses writes) leaves
 * the home unhealthy whatever --check's own reads find. */
static char *failed_mark(const struct home *h)
{
	return xasprintf("%s/.git/rental-failed", h->state);
}

/* The contexts the last batch held back, a name a line: --check says them failing
 * whenever the settings changed since (a context just switched on is not in it). */
static char *held_mark(const struct home *h)
{
	return xasprintf("%s/.git/rental-held", h->state);
}

/* Whether text, a name a line, has the line name. */
static int has_line(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, name, n) == 0 && (l[n] == '\n' || l[n] == '\0'))
			return 1;
	return 0;
}

int dispatch_batch(const struct home *h, struct store *s, const struct cfg *c,
		   struct dispatch_stats *st, struct rerr *e)
{
	int rc = run_batch(h, s, c, st, e);
	char *mark = failed_mark(h), *held = held_mark(h), names[CTX_COUNT * 16] = "";

	/* A refusal of main (RX_DATA: set back, made by hand, removed) is not kept: --check
	 * looks at main itself, and says it no more once main is put right. */
	if (rc < 0 && e->code != RX_DATA) { /* best effort: a disk that refuses it refuses the batch too */
		char *line = xasprintf("%s\n", e->msg);
		fs_write_atomic(mark, line, strlen(line), 0, NULL);
		free(line);
	} else {
		unlink(mark);
	}
	for (int i = 0; i < CTX_COUNT; i++)
		if (st->failed[i])
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s\n", context_name(i));
	if (names[0])
		fs_write_atomic(held, names, strlen(names), 0, NULL);
	else if (rc == 0)
		unlink(held);
	free(mark);
	free(held);
	return rc;
}

/* ---- rebuild ---- */

void dispatch_on_progress(void (*fn)(const char *phase, size_t done, size_t total))
{
	progress_fn = fn;
}

void dispatch_on_wait(void (*fn)(const char *why))
{
	wait_fn = fn;
}

/* Tells progress_fn each time done passes another thousand, and at the end. */
static void progress(const char *phase, size_t done, size_t total)
{
	if (progress_fn && (done % 1000 == 0 || done == total))
		progress_fn(phase, done, total);
}

/* A rebuilt path against the stored one: the stored one is repaired and counted in
 * *rewritten, and said so in r unless quiet (an upgrade, which moves every file). */
struct compare {
	struct store *real, *scratch;
	struct report *r;
	size_t *rewritten;
	int quiet;
};

static int compare_path(const char *rel, const char *name, void *arg, struct rerr *e)
{
	struct compare *c = arg;
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int ra = store_get(c->real, rel, &a, &alen, e), rb = ra < 0 ? -1 : store_get(c->scratch, rel, &b, &blen, e);
	const char *what = NULL;

	if (ra < 0 || rb < 0) {
		free(a);
		free(b);
		return -1;
	}
	if (ra == 1 && rb == 0) {
		what = "missing; rebuilt";
		store_put(c->real, rel, b, blen);
	} else if (ra == 0 && rb == 1) {
		what = "not derived from the log; removed";
		store_del(c->real, rel);
	} else if (ra == 0 && (alen != blen || memcmp(a, b, alen) != 0)) {
		what = "differs from the log; rebuilt";
		store_put(c->real, rel, b, blen);
	}
	if (what && !c->quiet)
		report_add(c->r, 1, "%s: %s", rel, what);
	if (what)
		++*c->rewritten;
	free(a);
	free(b);
	return 0;
}

/* A record (or folder) whose stored bytes are damaged or missing: store_mend wrote a
 * good copy. */
static int mended(const char *rel, const char *object, void *arg, struct rerr *e)
{
	struct compare *c = arg;

	(void)e;
	report_add(c->r, 1, "%s: its stored bytes are damaged or missing (object %s); rebuilt",
		   *rel ? rel : "the root folder", object);
	++*c->rewritten;
	return 0;
}

/* The logged bytes of the event id, in any layout: an id's entry holds them, or in
 * layouts 1 and 2 the event's number in the log ("seq: N"). */
static int logged_event(struct store *real, const char *id, char **buf, size_t *len, struct rerr *e)
{
	char admitted[11];
	struct kv m;
	long long seq;
	int rules, rc = ledger_logged(real, id, buf, len, e);

	if (rc != 0 || strncmp(*buf, "seq: ", 5) != 0)
		return rc;
	seq = kv_parse(&m, *buf, *len, id, NULL) == 0 ? kv_num(&m, "seq", 0) : 0;
	kv_free(&m);
	free(*buf);
	*buf = NULL;
	return seq > 0 ? rec_log(real, seq, buf, len, admitted, &rules, e) : 1;
}

/* Replays the log into scratch: indexes and every context up to its cursor. The
 * outcomes each context decides again must be the ones in the log. */
static int replay(struct store *real, struct store *scratch, const struct seckey *k,
		  struct report *r, struct rerr *e)
{
	long long head = ledger_head(real, e), cursor[CTX_COUNT];
	size_t unread = 0; /* outcomes whose logged bytes could not be read */
	struct outbox out;

	if (head < 0)
		return -1;
	for (int c = 0; c < CTX_COUNT; c++)
		if ((cursor[c] = rec_cursor(real, c, e)) < 0)
			return -1;
	outbox_init(&out);
	for (long long seq = 1; seq <= head; seq++) {
		struct event ev;
		if (ledger_read(real, seq, &ev, e) < 0)
			return -1;
		if (ledger_index(scratch, &ev, seq, e) < 0) {
			event_free(&ev);
			return -1;
		}
		for (int c = 0; c < CTX_COUNT; c++) {
			if (seq > cursor[c])
				continue;
			/* A unit, as a batch applies it: what a rule's record writers could not
			 * read fails the replay rather than leave a record short. */
			store_begin(scratch);
			int rc = apply_rules(scratch, c, &ev, &out, e);
			store_end(scratch);
			if (rc < 0) {
				outbox_free(&out);
				event_free(&ev);
				return -1;
			}
			for (size_t i = 0; i < out.n; i++) {
				struct event oc;
				char *logged = NULL;
				size_t llen = 0;
				struct rerr why = {0};
				event_make_outcome(&oc, &out.items[i], &ev, k, 0);
				int seen = logged_event(real, kv_get(&oc.f, "id"), &logged, &llen, &why);
				if (seen == 1) { /* a history logged before outcome ids took their source's shard */
					event_free(&oc);
					event_make_outcome(&oc, &out.items[i], &ev, k, 1);
					seen = logged_event(real, kv_get(&oc.f, "id"), &logged, &llen, &why);
				}
				if (seen != 0)
					logged = NULL;
				if (seen < 0) /* a damaged entry of the index by id: mended below */
					unread++;
				else if (logged == NULL || llen != oc.len || memcmp(logged, oc.raw, llen) != 0)
					report_add(r, 1, "log: the %s outcome of %s is not what %s decides again",
						   kv_get(&oc.f, "type"), kv_get(&ev.f, "id"), context_name(c));
				free(logged);
				event_free(&oc);
			}
			outbox_free(&out);
		}
		event_free(&ev);
		if (seq % 1000 == 0 && (store_commit(scratch, "", e) < 0 || store_maintain(scratch, e) < 0))
			return -1;
		progress("replaying the log", (size_t)seq, (size_t)head);
	}
	for (int c = 0; c < CTX_COUNT; c++)
		if (cursor[c] > 0)
			rec_set_cursor(scratch, c, cursor[c]);
	if (unread > 0)
		report_add(r, 1, "log: %zu outcomes not compared with the log's: their entries are "
			   "damaged (listed below, rebuilt); a second rebuild compares them", unread);
	return store_commit(scratch, "", e);
}

int dispatch_rebuild(const struct home *h, int upgrade, struct report *r, size_t *rewritten,
		     struct rerr *e)
{
	struct store *real = NULL, *scratch = NULL;
	struct seckey k = {0};
	struct rerr kwhy = {0}, lwhy = {0};
	int rc = -1, layout, moves, registered;

	memset(r, 0, sizeof *r);
	*rewritten = 0;
	/* Commits the dispatcher did not sign are taken out first: what they hold (the
	 * layout, the keys) is no one's. */
	long long logged;
	if (open_locked(h, &real, 1, e) < 0 || take_out_hand_made(h, real, r, rewritten, e) < 0 ||
	    (logged = ledger_head(real, e)) < 0 || refuse_set_back(h, real, logged, e) < 0 ||
	    load_dispatcher_key(h, &k, e) < 0)
		goto out;
	/* The key registry and the layout are what the rebuild may mend: damaged (RX_IO),
	 * the key is checked against the registry the log makes, and the layout is taken
	 * for this one's, which the log makes (a home of an older layout stops then at its
	 * layout record, which no replay makes again: an upgrade must know the layout). */
	if ((registered = own_key_registered(h, real, &k, &kwhy)) < 0 && kwhy.code != RX_IO) {
		*e = kwhy;
		goto out;
	}
	if ((layout = rec_layout(real, &lwhy)) < 0 && lwhy.code != RX_IO) {
		*e = lwhy;
		goto out;
	}
	/* An upgrade replays the log of an older layout (or of one its damaged record no
	 * longer says) into this one's records: every record moves, and is counted, not
	 * listed. */
	moves = upgrade && layout != RECORDS_LAYOUT;
	if (layout >= 0 && (!upgrade || layout > RECORDS_LAYOUT) && rec_check_layout(real, e) < 0)
		goto out;
	if (store_open_scratch(&scratch, real, e) < 0)
		goto out;
	/* A replay makes no layout record: the scratch names this release's, or for a
	 * rebuild the one the home names (7 or 8), whose rules (tables split in 8 only)
	 * the replay follows as the home's batches did. */
	rec_set_layout(scratch, moves || layout < 0 ? RECORDS_LAYOUT : layout);
	size_t said = r->n;
	if (replay(real, scratch, &k, r, e) < 0)
		goto out;
	if (registered < 0 && own_key_registered(h, scratch, &k, e) < 0) {
		/* another key: every outcome signed with it differed, which is that, said */
		while (r->n > said)
			free(r->lines[--r->n]);
		goto out;
	}
	struct compare c = {real, scratch, r, rewritten, moves};
	if (store_mend(real, scratch, "log", mended, &c, e) < 0 ||
	    store_diff(real, scratch, "log", compare_path, &c, e) < 0)
		goto out;
	store_set_signer(real, &k);
	rc = store_commit(real, moves ? "dispatcher upgrade layout\n" : "dispatcher rebuild state\n", e);
	if (rc == 0)
		rc = store_drop_checkout(real, rec_checked_out, e);
	if (rc == 0)
		note_logged(h, real); /* its commit, for a main set back after it */
	if (rc == 0 && *rewritten > 0) { /* mended: a batch that failed on the state failed on that */
		char *mark = failed_mark(h);
		unlink(mark);
		free(mark);
	}
out:
	seckey_free(&k);
	store_free(scratch);
	store_free(real);
	return rc;
}

/* ---- check ---- */

/* Geometric merging keeps ~log2(history / batch) packs: ~10 at a million events.
 * More than 40 means merges fail. */
#define CHECK_PACKS_MAX 40

/* A replica: its last round of following, the primary's answers, the lag. */
static void check_follow(const struct home *h, const struct cfg *c, struct report *r)
{
	struct follow_status st;
	struct replica rp;
	struct rerr why = {0};
	long long now = (long long)time(NULL);

	if (home_replica_read(h, &rp, &why) < 0 || replica_status(h, &st, &why) < 0) {
		report_add(r, 1, "replica: %s", why.msg);
		return;
	}
	if (st.checked_at == 0) {
		report_add(r, 1, "replica: %s not followed yet: is its dispatcher running?", rp.url);
		return;
	}
	if (st.refused[0])
		report_add(r, 1, "replica: refused the history of %s: %s; main stays at %.12s", rp.url,
			   st.refused, st.head[0] ? st.head : "no commit");
	if (st.failed[0])
		report_add(r, 1, "replica: the last round failed here: %s", st.failed);
	if (now - st.checked_at > c->max_lag_seconds)
		report_add(r, 1, "replica: %s last followed %lld s ago (max_lag_seconds %ld): is its "
			   "dispatcher running?", rp.url, now - st.checked_at, c->max_lag_seconds);
	else if (st.answered_at == 0)
		report_add(r, 1, "replica: %s has never answered: %s", rp.url, st.error);
	else if (now - st.answered_at > c->max_lag_seconds)
		report_add(r, 1, "replica: %s has not answered for %lld s (max_lag_seconds %ld): %s", rp.url,
			   now - st.answered_at, c->max_lag_seconds, st.error);
	else if (st.error[0])
		report_add(r, 0, "replica: %s did not answer the last round: %s", rp.url, st.error);
}

/* Each remote of replicate: how far behind main it is. */
static void check_remotes(const struct home *h, const struct cfg *c, struct report *r)
{
	if (c->twice[0])
		report_add(r, 0, "replicate.remotes: '%s' names a repository named before it: "
			   "pushed to once", c->twice);
	for (int i = 0; i < c->nremotes; i++) {
		struct remote_state st;
		struct rerr why = {0};
		long long lag;
		long commits;
		if (replicate_lag(h, c->remotes[i], &lag, &commits, &why) < 0 ||
		    replicate_state(h, c->remotes[i], &st, &why) < 0) {
			report_add(r, 1, "replicate: %s: %s", c->remotes[i], why.msg);
			continue;
		}
		size_t ul = strlen(c->remotes[i]);
		if (strncmp(st.error, c->remotes[i], ul) == 0 && st.error[ul] == ':')
			memmove(st.error, st.error + ul + 2, strlen(st.error + ul + 2) + 1); /* said already */
		/* Given main, as the record says, yet failing since: it may have lost it since
		 * (replaced by another history), which every look tells again. */
		long long failing = (long long)time(NULL) - st.pushed_at;
		if (commits == 0 && st.error[0] && failing > c->max_lag_seconds)
			report_add(r, 1, "replicate: %s: failing for %lld s (max_lag_seconds %ld): %s",
				   c->remotes[i], failing, c->max_lag_seconds, st.error);
		if (commits == 0)
			continue;
		report_add(r, lag > c->max_lag_seconds, "replicate: %s lags %lld s behind main "
			   "(%ld commits%s; max_lag_seconds %ld)%s%s", c->remotes[i], lag, commits,
			   st.pushed[0] ? "" : ", never pushed", c->max_lag_seconds,
			   st.error[0] ? ": " : "", st.error);
	}
}

/* What every batch reads first can be read: the log's head and last entry, each
 * context's cursor (and so main's commit and the trees above them). */
static int check_readable(struct store *s, struct rerr *e)
{
	struct event ev;
	long long head = ledger_head(s, e);

	if (head < 0 || (head > 0 && ledger_read(s, head, &ev, e) < 0))
		return -1;
	if (head > 0)
		event_free(&ev);
	for (int c = 0; c < CTX_COUNT; c++)
		if (rec_cursor(s, c, e) < 0)
			return -1;
	return 0;
}

/* Whether a file can be written in dir: a page written there and fsynced, then removed
 * (a full disk passes access(2) by, and leaves no failed batch's mark). */
static int probe_writable(const char *dir, const char *what, struct rerr *e)
{
	static const char page[4096];
	char *p = xasprintf("%s/" SPOOL_PROBE, dir);
	struct rerr why = {0};
	int rc = fs_write_atomic(p, page, sizeof page, 1, &why);

	unlink(p);
	free(p);
	return rc < 0 ? rerr_set(e, why.code, "%s: cannot be written: %s", what, why.msg) : 0;
}

/* Where a batch writes in state/.git: its files (the marks: a page written there, as a
 * full disk fails it), objects/pack and refs/heads (by their modes: no probe of ours
 * is to be met there by git), and the lock it takes; a restore done as another user
 * leaves one of them not the dispatcher's, and every batch fails there. */
static void check_state_writable(const struct home *h, struct report *r)
{
	struct rerr why = {0};
	char *git = xasprintf("%s/.git", h->state);

	if (probe_writable(git, "state", &why) < 0)
		report_add(r, 1, "%s", why.msg);
	free(git);
	for (const char *const *sub = (const char *const[]){"objects/pack", "refs/heads", NULL}; *sub; sub++) {
		char *dir = xasprintf("%s/.git/%s", h->state, *sub);
		if (fs_exists(dir) && access(dir, W_OK | X_OK) < 0)
			report_add(r, 1, "%s: cannot be written: %s", dir, strerror(errno));
		free(dir);
	}
	char *lock = xasprintf("%s/.git/rental.lock", h->state);
	int fd = open(lock, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		report_add(r, 1, "%s: %s", lock, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(lock);
}

/* The spool's folders: each a folder a writer can write in, and room in tmp/ for an
 * event (the spool may be a file system of its own: spool: PATH). */
static void check_spool(const struct home *h, struct report *r)
{
	struct rerr why = {0};
	struct stat st;
	int ok = 0;

	for (const char *const *sub = (const char *const[]){"tmp", "new", "bad", NULL}; *sub; sub++) {
		char *p = xasprintf("%s/%s", h->spool, *sub);
		if (stat(p, &st) < 0)
			report_add(r, 1, "%s: %s", p, errno == ENOENT ? "missing" : strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			report_add(r, 1, "%s: not a folder", p);
		else if (access(p, W_OK) < 0)
			report_add(r, 1, "%s: not writable: %s", p, strerror(errno));
		else
			ok++;
		free(p);
	}
	char *tmp = xasprintf("%s/tmp", h->spool);
	if (ok == 3 && probe_writable(tmp, tmp, &why) < 0)
		report_add(r, 1, "%s", why.msg);
	free(tmp);
}

/* A batch that failed, and none has succeeded since. */
static void check_last_batch(const struct home *h, struct report *r)
{
	char *mark = failed_mark(h), *buf = NULL;
	size_t len;

	if (fs_read(mark, 4096, &buf, &len, NULL) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		report_add(r, 1, "the last batch failed (and none has succeeded since): %s", buf);
	}
	free(buf);
	free(mark);
}

/* Contexts switched on but behind the log: each batch brings them to its head unless
 * one fails on an event (held back until it is mended). Said only when a batch ran
 * since the settings last changed (a context switched on catches up at the next), and
 * not on a replica, whose contexts are its primary's and its settings its own. */
static void check_contexts(const struct home *h, struct store *s, const struct cfg *c,
			   struct report *r)
{
	struct rerr why = {0};
	struct stat cs, bs;
	char *mark = last_batch_mark(h), *heldp = held_mark(h), *held = NULL;
	size_t len;
	long long head = ledger_head(s, &why), cur;
	/* ctimes: a settings file copied in keeps an older mtime (cp -p) */
	int ran = stat(h->config, &cs) == 0 && stat(mark, &bs) == 0 && ts_cmp(&bs.st_ctim, &cs.st_ctim) > 0;

	fs_read(heldp, 4096, &held, &len, NULL);
	free(mark);
	free(heldp);
	for (int i = 0; head > 0 && !home_is_replica(h) && i < CTX_COUNT; i++) {
		/* failing: behind after a batch since the settings changed, or held back by the
		 * last batch whatever changed since */
		int was_held = held && has_line(held, context_name(i));
		if (c->enabled[i] && (ran || was_held) && (cur = rec_cursor(s, i, &why)) >= 0 && cur < head)
			report_add(r, 1, "context %s is switched on but %lld events behind the log: it fails "
				   "on one (dispatcher --once says why)", context_name(i), head - cur);
	}
	free(held);
}

int dispatch_check(const struct home *h, struct report *r, struct rerr *e)
{
	struct store *s = NULL;
	struct seckey k = {0};
	struct cfg c;
	struct rerr why = {0};
	size_t waiting = 0, removed = 0, left;
	long oldest;
	char head[41], lone[51];

	memset(r, 0, sizeof *r);
	if (home_settings(h, &c, e) < 0)
		return -1; /* a broken settings file is its own exit status */
	check_spool(h, r);
	/* Nothing is written in a state/ that holds no repository: a folder made here
	 * (a probe's) would be taken by the next batch for a home's. */
	if (home_has_repo(h, &why) < 0) {
		report_add(r, 1, "%s", why.msg);
		return 0;
	}
	if (access(h->state, W_OK) < 0) /* there: home_has_repo found its repository */
		report_add(r, 1, "%s: not writable: %s", h->state, strerror(errno));
	else
		check_state_writable(h, r);
	if (store_unindexed_pack(h->state, lone))
		report_add(r, 0, "state: %s has no index (removed? a power cut between its renames?): "
			   "no object of it is read, and the history may need them: 'git index-pack' on "
			   "it makes its index again", lone);
	if (store_open(&s, h->state, &why) < 0) {
		store_free(s);
		report_add(r, 1, "state: %s", why.msg);
		return 0;
	}
	store_head(s, head);
	int replica = home_is_replica(h);
	if (head[0] == '\0' && (replica ? home_replica_lost_main(h, &why) : store_main_missing(s, RX_IO, &why)) < 0)
		report_add(r, 1, "%s", why.msg); /* main removed by hand */
	else if (head[0] == '\0')
		report_add(r, 1, replica ? "state: no commit yet: this replica has not followed "
			   "its primary yet" : "state: no commit yet; run 'carctl init'");
	else if (check_readable(s, &why) < 0)
		report_add(r, 1, "state: damaged: %s", why.msg);
	if (store_check_packs(s, &why) < 0)
		report_add(r, 1, "state: %s", why.msg);
	if (home_check_layout(h, s, &why) < 0)
		report_add(r, 1, "%s", why.msg);
	size_t packs = store_pack_count(s);
	if (packs > CHECK_PACKS_MAX)
		report_add(r, 0, "state: %zu git packs (merging keeps them near log2 of the history: "
			   "does it wait for room on the disk (a copy of the packs), or fail? see the "
			   "dispatcher's messages)", packs);
	if (head[0])
		check_contexts(h, s, &c, r);
	if (!home_is_replica(h)) { /* a replica runs no batch and has no key of its own */
		check_last_batch(h, r);
		/* a person's commit first: what it holds (the keys) is no one's */
		if (refuse_hand_made(h, s, &why) < 0 || load_own_key(h, s, &k, &why) < 0)
			report_add(r, 1, "%s", why.msg);
		long long logged = ledger_head(s, &why);
		if (logged >= 0 && refuse_set_back(h, s, logged, &why) < 0)
			report_add(r, 1, "%s", why.msg);
	}
	seckey_free(&k);
	store_free(s);
	if (home_is_replica(h))
		check_follow(h, &c, r);
	check_remotes(h, &c, r);
	oldest = spool_oldest_age(h->spool, &waiting);
	if (waiting > 0 && oldest > 60)
		report_add(r, 1, "spool: %zu events waiting, the oldest for %ld s: is the dispatcher running?",
			   waiting, oldest);
	left = spool_clean_tmp(h->spool, SPOOL_TMP_MAX_AGE, &removed);
	if (removed)
		report_add(r, 0, "spool/tmp: removed %zu files older than an hour (writers that died)", removed);
	if (left)
		report_add(r, 0, "spool/tmp: %zu files being written", left);
	size_t stuck = spool_stuck_count(h->spool);
	if (stuck > 0)
		report_add(r, 0, "spool/new: %zu folder%s the dispatcher may not move, left as "
			   ".stuck-NS-N: remove %s by hand", stuck, stuck > 1 ? "s" : "", stuck > 1 ? "them" : "it");
	if (spool_bad_count(h->spool) > 0)
		report_add(r, 0, "spool/bad: %zu quarantined events (see their .reason files)",
			   spool_bad_count(h->spool));
	for (int i = 0; i < CTX_COUNT; i++)
		if (!c.enabled[i])
			report_add(r, 0, "context %s is switched off", context_name(i));
	if (payment_breaker_check(h->spool, &c, &why) < 0)
		report_add(r, 0, "payment breaker: %s", why.msg);
	return 0;
}
