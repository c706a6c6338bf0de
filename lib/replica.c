/* replica: following a primary (see replica.h). Two small records beside the
 * repository: state/.git/rental-primary (what it follows and the key it trusts) and
 * state/.git/rental-follow (how the last round went). */
#include "replica.h"
#include "git.h"
#include "gitsig.h"
#include "ledger.h"
#include "records.h"
#include "transport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAIN "refs/heads/main"
#define CHECKPOINT 1000 /* commits checked between moves of main on a long catch-up */

/* Written each round: an account of it, not state, so not synced. */
static int write_kv(const char *path, const struct kv *m, struct rerr *e)
{
	size_t len;
	char *buf = kv_format(m, &len);
	int rc = fs_write_atomic(path, buf, len, 1, e); /* fsynced: --check reads it after a power cut */

	free(buf);
	return rc;
}

int replica_status(const struct home *h, struct follow_status *st, struct rerr *e)
{
	char *path = home_follow_file(h);
	struct kv m;
	int rc = kv_load(path, &m, e);

	memset(st, 0, sizeof *st);
	if (rc == 0) {
		st->checked_at = kv_num(&m, "checked_at", 0);
		st->answered_at = kv_num(&m, "answered_at", 0);
		snprintf(st->head, sizeof st->head, "%s", kv_get(&m, "head") ?: "");
		snprintf(st->tip, sizeof st->tip, "%s", kv_get(&m, "tip") ?: "");
		snprintf(st->refused, sizeof st->refused, "%s", kv_get(&m, "refused") ?: "");
		snprintf(st->error, sizeof st->error, "%s", kv_get(&m, "error") ?: "");
		snprintf(st->failed, sizeof st->failed, "%s", kv_get(&m, "failed") ?: "");
	}
	kv_free(&m);
	free(path);
	return rc < 0 ? -1 : 0;
}

/* Keeps a message on one line of text. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static int record(const struct home *h, const struct follow *f, struct rerr *e)
{
	char *path = home_follow_file(h);
	struct follow_status old;
	long long now = (long long)time(NULL);
	char reason[sizeof f->reason];
	struct kv m;
	int rc;

	replica_status(h, &old, NULL);
	snprintf(reason, sizeof reason, "%s", f->reason);
	one_line(reason);
	kv_init(&m);
	kv_setnum(&m, "checked_at", now);
	kv_setnum(&m, "answered_at", f->unreachable ? old.answered_at : now);
	if (f->head[0])
		kv_set(&m, "head", f->head);
	if (f->tip[0])
		kv_set(&m, "tip", f->tip);
	if (f->refused || f->unreachable || f->failed_here)
		kv_set(&m, f->refused ? "refused" : f->unreachable ? "error" : "failed", reason);
	rc = write_kv(path, &m, e);
	kv_free(&m);
	free(path);
	return rc;
}

/* ---- checking a commit's log ---- */

/* Whether ev could enter the log after the events s holds, as the primary admitted
 * it: not logged before, signed by a registered key whose role may write it (an
 * outcome by the dispatcher's, of role system). Who wrote it, not the primary's
 * rules, which older releases decided otherwise (ledger_authenticate). */
static int check_event(struct store *s, const struct event *ev, struct rerr *e)
{
	const struct event_type *t = event_type_get(ev);
	const char *actor = kv_get(&ev->f, "actor");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct kv key;
	int rc;

	if ((rc = ledger_seen(s, kv_get(&ev->f, "id"), e)) != 0)
		return rc < 0 ? -1 : rerr_set(e, RX_DATA, "logged twice");
	if (t->roles != ROLE_SYSTEM)
		return ledger_authenticate(s, ev, e);
	if ((rc = ledger_key(s, actor, &key, e)) != 0)
		return rc < 0 ? -1 : rerr_set(e, RX_PERM, "an outcome signed by '%s', an unknown key", actor);
	rc = role_parse(kv_get(&key, "role") ?: "") == ROLE_SYSTEM &&
	     sig_pk_decode(pk, kv_get(&key, "pubkey") ?: "") == 0;
	kv_free(&key);
	if (!rc)
		return rerr_set(e, RX_PERM, "an outcome signed by '%s', not the dispatcher", actor);
	return event_verify(ev, pk) ? 0 : rerr_set(e, RX_PERM, "bad signature for key '%s'", actor);
}

/* The first path of the ledger that differs between two trees. */
struct ledger_diff {
	int log_entries;
	char path[300];
};

static int ledger_path(const char *path, const char *name, void *arg, struct rerr *e)
{
	struct ledger_diff *d = arg;

	if (d->path[0] == '\0' && rec_is_ledger(path, d->log_entries))
		snprintf(d->path, sizeof d->path, "%s", path);
	return 0;
}

/* Checks the events that commit c's log gains over its parent's (the commit parent,
 * hex), or all of them when parent is NULL (the first commit, or the first of this
 * layout), and that c's ledger is what its parent's becomes with them. why: what
 * fails. */
static int check_log(const struct home *h, const char *parent, struct store *c, struct rerr *why)
{
	struct store *s = NULL;
	struct ledger_diff d = {parent != NULL, ""};
	long long from, to, seq;
	int rc = parent ? store_open_commit(&s, h->state, parent, 1, why) : store_open_scratch(&s, c, why);

	if (rc < 0 || (from = ledger_head(s, why)) < 0 || (to = ledger_head(c, why)) < 0) {
		rc = -1; /* a log whose head cannot be read is not checked: it fails */
		goto out;
	}
	rc = -1;
	if (to < from) {
		rerr_set(why, RX_DATA, "its log ends at entry %lld, before its parent's (%lld)", to, from);
		goto out;
	}
	for (seq = from + 1; seq <= to; seq++) {
		struct event ev;
		struct rerr er = {0};
		long long got = seq;
		if (ledger_read(c, seq, &ev, &er) < 0) {
			rerr_set(why, RX_DATA, "log entry %lld: %s", seq, er.msg);
			goto out;
		}
		/* The log's own entries are made again only on top of a parent's, whose
		 * entries they must keep; from nothing, the ones read stand. */
		if (check_event(s, &ev, &er) < 0 ||
		    (parent ? ledger_append(s, &ev, ev.admitted, ev.rules, &got, &er) : ledger_index(s, &ev, seq, &er)) < 0)
			rerr_set(why, RX_DATA, "log entry %lld (%s): %s", seq, kv_get(&ev.f, "id"), er.msg);
		event_free(&ev);
		if (why->msg[0])
			goto out;
		if (seq % CHECKPOINT == 0 && store_commit(s, "", why) < 0)
			goto out;
	}
	if (store_commit(s, "", why) < 0 || store_diff(s, c, NULL, ledger_path, &d, why) < 0)
		goto out;
	if (d.path[0]) {
		rerr_set(why, RX_DATA, "state/%s is not what its log makes", d.path);
		goto out;
	}
	rc = 0;
out:
	store_free(s);
	return rc;
}

/* ---- following ---- */

/* The key the first commit's log registers for the dispatcher. */
static int first_key(const struct home *h, const char *root, unsigned char pk[crypto_sign_PUBLICKEYBYTES],
		     struct rerr *why)
{
	struct store *s = NULL;
	long long head;
	int rc = store_open_commit(&s, h->state, root, 0, why), found = 0;

	head = rc < 0 ? -1 : ledger_head(s, why);
	for (long long seq = 1; seq <= head && !found; seq++) {
		struct event ev;
		if (ledger_read(s, seq, &ev, why) < 0)
			break;
		found = event_kind_of(&ev) == EV_KEY_ADD && !strcmp(kv_get(&ev.f, "name"), "dispatcher") &&
			!strcmp(kv_get(&ev.f, "role"), "system") &&
			sig_pk_decode(pk, kv_get(&ev.f, "pubkey")) == 0;
		event_free(&ev);
	}
	store_free(s);
	if (found)
		return 0;
	return why->msg[0] ? -1 : rerr_set(why, RX_DATA, "its first commit registers no dispatcher key; "
					   "name the one to trust with --trust");
}

struct walk {
	struct gid *v; /* the new commits, newest first */
	size_t n, cap;
};

/* Reads commit id: its bytes (*buf) and headers. why: what is wrong with it. */
static int read_commit(struct gitrepo *r, const struct gid *id, char **buf, size_t *len,
		       struct git_commit_info *c, struct rerr *why)
{
	int rc = git_read_commit(r, id, buf, len, c, why);

	if (rc < 0)
		why->code = RX_DATA; /* the remote's history, not this replica's disk */
	return rc;
}

/* Whether tip names a commit that is have or one of its ancestors: a remote behind
 * this replica (restored from an older copy), not one whose history was rewritten.
 * Asked only of a tip that does not descend from have; the walk back from have stops
 * at commits a day older than tip's (the dispatcher's clock orders its commits). */
static int behind(struct gitrepo *r, const char *tip, const struct gid *have)
{
	struct git_commit_info c;
	struct rerr why = {0};
	struct gid at = *have, t;
	long long since;
	char *buf;
	size_t len;

	if (gid_parse(&t, tip) < 0 || read_commit(r, &t, &buf, &len, &c, &why) < 0)
		return 0;
	free(buf);
	since = c.time - 86400;
	while (gid_cmp(&at, &t) != 0) {
		if (read_commit(r, &at, &buf, &len, &c, &why) < 0)
			return 0;
		free(buf);
		if (c.nparents != 1 || c.time < since)
			return 0;
		at = c.parent;
	}
	return 1;
}

/* The commits from tip back to have (all the way when has is 0). */
static int walk_back(struct gitrepo *r, const char *tip, const struct gid *have, int has,
		     struct walk *w, struct rerr *why)
{
	struct gid at;
	char hex[41];

	gid_parse(&at, tip);
	while (!(has && gid_cmp(&at, have) == 0)) {
		struct git_commit_info c;
		char *buf;
		size_t len;
		if (read_commit(r, &at, &buf, &len, &c, why) < 0)
			return -1;
		free(buf);
		if (w->n == w->cap)
			w->v = xrealloc(w->v, (w->cap = w->cap ? 2 * w->cap : 64) * sizeof *w->v);
		w->v[w->n++] = at;
		gid_hex(hex, &at);
		if (c.nparents > 1)
			return rerr_set(why, RX_DATA, "commit %.12s merges histories", hex);
		if (c.nparents == 0 && has) {
			gid_hex(hex, have);
			if (behind(r, tip, have))
				return rerr_set(why, RX_DATA, "its main %.12s is behind this replica's %.12s "
						"(restored from an older copy?): it is followed again once it "
						"is the primary's", tip, hex);
			return rerr_set(why, RX_DATA, "its main %.12s does not descend from this replica's %.12s: "
					"a rewritten history", tip, hex);
		}
		if (c.nparents == 0)
			return 0;
		at = c.parent;
	}
	return 0;
}

/* Checks commit id, whose parent is parent ("" none; in a layout this release reads as
 * its own if parent_own): its signature by trust, and its log. *layout: the layout of
 * its records (it may be main only in one this release reads as its own). */
static int check_commit(const struct home *h, struct gitrepo *r, const struct gid *id,
			const char *parent, int parent_own, const unsigned char *trust, int unsigned_ok,
			int *sig, int *layout_of, struct rerr *why)
{
	struct git_commit_info c;
	struct store *s = NULL;
	char hex[41], *buf;
	size_t len;
	struct rerr er = {0};
	int layout, rc;

	gid_hex(hex, id);
	if (read_commit(r, id, &buf, &len, &c, why) < 0)
		return -1;
	*sig = gitsig_verify_commit(buf, len, trust, &er);
	free(buf);
	if (*sig < 0)
		return rerr_set(why, RX_PERM, "commit %.12s: %s", hex, er.msg);
	if (*sig == 1 && !unsigned_ok)
		return rerr_set(why, RX_PERM, "commit %.12s is not signed", hex);
	rc = store_open_commit(&s, h->state, hex, 0, &er);
	layout = rc < 0 ? -1 : rec_layout(s, &er);
	*layout_of = layout;
	if (layout < 0)
		rc = rerr_set(why, RX_DATA, "commit %.12s: %s", hex, er.msg);
	else if (layout > RECORDS_LAYOUT)
		rc = rerr_set(why, RX_CONFIG, "commit %.12s: layout %d, which this release does not know",
			      hex, layout);
	else if (rec_layout_own(layout) && check_log(h, parent_own && parent[0] ? parent : NULL, s, &er) < 0)
		rc = rerr_set(why, RX_DATA, "commit %.12s: %s", hex, er.msg);
	store_free(s);
	return rc < 0 ? -1 : 0;
}

static int move_main(const struct home *h, const struct gid *to, struct follow *f, struct rerr *e)
{
	char *gitdir = xasprintf("%s/.git", h->state);
	int rc = git_ref_write(gitdir, MAIN, to, e);

	free(gitdir);
	if (rc == 0)
		gid_hex(f->head, to);
	return rc;
}

/* Checks the new commits oldest first, moving main as they pass; why says where
 * they stopped passing. */
static int take(const struct home *h, const struct replica *rp, struct gitrepo *r,
		const struct walk *w, int has, struct follow *f, struct rerr *why, struct rerr *e)
{
	char parent[41];
	int parent_own = has, seen_signed = 0, sig = 1, layout = 0, older = 0;
	size_t good = w->n, moved = w->n; /* the last good commit, and main's: w->n the old main */

	snprintf(parent, sizeof parent, "%s", f->head);
	for (size_t i = w->n; i-- > 0;) {
		/* Commits made before commits were signed pass unsigned at the start of a
		 * history, vouched for by the first signed commit, which names them. */
		if (check_commit(h, r, &w->v[i], parent, parent_own, rp->trust, !has && !seen_signed, &sig,
				 &layout, why) < 0)
			break;
		seen_signed |= sig == 0;
		if (sig == 0 && !rec_layout_own(layout))
			older = layout; /* signed, in an older release's layout: no main here */
		if (sig == 0 && rec_layout_own(layout)) {
			good = i;
			if (moved - good >= CHECKPOINT) {
				if (move_main(h, &w->v[good], f, e) < 0)
					return -1;
				moved = good;
			}
		}
		gid_hex(parent, &w->v[i]);
		parent_own = rec_layout_own(layout);
	}
	if (good < moved && move_main(h, &w->v[good], f, e) < 0)
		return -1;
	f->taken = (long)(w->n - good);
	/* Signed, but in an older release's layout, which this one's readers do not read:
	 * the primary is to be upgraded (it was taken for unsigned, or for nothing new). */
	if (good == w->n && older > 0 && why->msg[0] == '\0')
		rerr_set(why, RX_DATA, "its history is in layout %d, an older release's: this replica "
			 "follows it once the primary is upgraded ('dispatcher --upgrade' there)", older);
	/* A first history must end in a signed commit: one made before commits were
	 * signed is vouched for by none. */
	if (!has && good == w->n && why->msg[0] == '\0')
		rerr_set(why, RX_PERM, "no commit of its history is signed: a primary of a release "
			 "that signs its commits must make one first");
	return 0;
}

int replica_follow(const struct home *h, int idle, const volatile sig_atomic_t *stop,
		   struct follow *f, struct rerr *e)
{
	char *gitdir = xasprintf("%s/.git", h->state);
	struct replica rp;
	struct gitrepo *r = NULL;
	struct walk w = {0};
	struct rerr why = {0};
	struct gid have;
	int has, rc = -1;

	memset(f, 0, sizeof *f);
	if (home_replica_read(h, &rp, e) < 0 || (has = git_ref_read(gitdir, MAIN, &have, e)) < 0)
		goto out;
	has = has == 0;
	if (has)
		gid_hex(f->head, &have);
	rc = transport_fetch(gitdir, rp.url, f->head, f->tip, idle, stop, &why);
	if (rc < 0) {
		/* the history sent refused (RX_DATA), this home's disk (RX_IO), or no answer */
		f->failed_here = why.code == RX_IO;
		f->unreachable = why.code != RX_DATA && !f->failed_here;
		/* A fetch cut short (killed: silent, stopped, out of memory) leaves its pack
		 * part written: swept now, not at the next start of the dispatcher. */
		char *packdir = xasprintf("%s/objects/pack", gitdir);
		gitrepo_sweep(packdir);
		free(packdir);
	}
	if (rc == 1 && has) /* no main there: main does not go away, so not the primary's */
		rerr_set(&why, RX_DATA, "it has no main, where this replica follows %.12s: a repository "
			 "emptied or replaced?", f->head);
	if (rc != 0 || strcmp(f->tip, f->head) == 0)
		goto done; /* no answer, no main there yet, or nothing new */
	if ((rc = gitrepo_open(&r, gitdir, e)) < 0)
		goto out;
	if (walk_back(r, f->tip, &have, has, &w, &why) == 0 && !rp.trusted) {
		char root[41];
		gid_hex(root, &w.v[w.n - 1]);
		if (first_key(h, root, rp.trust, &why) == 0) {
			rp.trusted = 1;
			snprintf(rp.trusted_from, sizeof rp.trusted_from, "the history's first commit");
			if (home_replica_write(h, &rp, e) < 0)
				goto out;
		}
	}
	if (why.msg[0] == '\0' && take(h, &rp, r, &w, has, f, &why, e) < 0)
		goto out;
done:
	f->refused = !f->unreachable && !f->failed_here && why.msg[0] != '\0';
	snprintf(f->reason, sizeof f->reason, "%s", why.msg);
	rc = record(h, f, e);
	if (rc == 0 && f->failed_here) /* a fault of this home: said as one */
		rc = rerr_set(e, RX_IO, "%s", why.msg);
out:
	gitrepo_free(r);
	free(w.v);
	free(gitdir);
	return rc;
}
