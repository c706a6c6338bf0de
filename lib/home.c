/* home: resolving and creating homes; the common path of writing commands. */
#include "home.h"
#include "ledger.h"
#include "management.h"
#include "records.h"
#include "spool.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RENTAL_DEFAULT_HOME
#define RENTAL_DEFAULT_HOME "."
#endif

static void home_paths(struct home *h, const char *root)
{
	h->root = xstrdup(root);
	h->config = xasprintf("%s/config/rental.yaml", root);
	h->spool = xasprintf("%s/spool", root);
	h->state = xasprintf("%s/state", root);
	h->keys = xasprintf("%s/keys", root);
}

void home_resolve(struct home *h, const char *opt)
{
	const char *env = getenv("RENTAL_HOME");

	home_paths(h, opt ? opt : env && *env ? env : RENTAL_DEFAULT_HOME);
}

void home_free(struct home *h)
{
	free(h->root);
	free(h->config);
	free(h->spool);
	free(h->state);
	free(h->keys);
	memset(h, 0, sizeof *h);
}

const char *home_actor(const char *opt)
{
	const char *env = getenv("RENTAL_USER");
	struct passwd *pw;

	if (opt)
		return opt;
	if (env && *env)
		return env;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "nobody";
}

int home_state_misplaced(const struct home *h, struct rerr *e)
{
	const char *parts[] = {".git", "HEAD", "objects", "refs"};
	char *head = xasprintf("%s/.git/HEAD", h->state);
	int whole = fs_exists(head), there[4];

	free(head);
	if (whole)
		return 0; /* its own repository (git_init writes HEAD last) */
	for (int i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s", h->state, parts[i]);
		there[i] = fs_exists(p);
		free(p);
	}
	/* files an older release kept checked out, which a new repository's first batch
	 * would sweep: the only copy of that state left (beside a .git without HEAD too: a
	 * folder a command made there is no repository) */
	for (const char *const *n = rec_checked_out; *n; n++) {
		char *p = xasprintf("%s/%s", h->state, *n);
		int old = fs_exists(p);
		free(p);
		if (old)
			return rerr_set(e, RX_CONFIG, "%s: holds the files of a state (%s) but %s: "
					"put its repository back as %s/.git (rental(7), Backups)", h->state,
					*n, there[0] ? "a .git without HEAD (or one this user may not read)"
					: "no .git", h->state);
	}
	if (!there[1] || !there[2] || !there[3])
		return 0; /* none: anything else beside it is no one's */
	return rerr_set(e, RX_CONFIG, "%s: a git repository, not a folder holding one (put back in "
			"its place?): this home keeps its repository as %s/.git (%smove HEAD, config, "
			"objects, refs and packed-refs into it)", h->state, h->state,
			there[0] ? "remove the .git there, which has no HEAD, then " : "");
}

int home_has_repo(const struct home *h, struct rerr *e)
{
	char *git = xasprintf("%s/.git", h->state), *head = xasprintf("%s/HEAD", git);
	struct stat st;
	/* a repository (git_init writes HEAD last): what every command's open meets, one look */
	int whole = lstat(head, &st) == 0, err = errno, there = whole || lstat(git, &st) == 0, rc = 0;

	if (whole)
		rc = 0;
	else if (err == EACCES) /* a repository this user may not read */
		rc = rerr_set(e, RX_IO, "%s: %s", there ? head : git, strerror(err));
	else if (home_state_misplaced(h, e) < 0)
		rc = -1;
	else if (!there) /* init on a home that had a history would judge its waiting events
			  * against an empty state: said, for the operator to tell */
		rc = rerr_set(e, RX_CONFIG, "%s: not a home (no state/.git): a home's repository "
			      "removed is put back from a backup or a mirror (rental(7), Backups), not "
			      "made anew (its waiting events would be judged against an empty state)",
			      h->root);
	else
		rc = rerr_set(e, RX_CONFIG, "%s: state/.git has no HEAD (an init stopped while it "
			      "made it, or a folder made by hand): 'carctl init %s' finishes it",
			      h->root, h->root);
	free(git);
	free(head);
	return rc;
}

int home_open_state(const struct home *h, struct store **s, struct rerr *e)
{
	char *git = xasprintf("%s/.git", h->state);
	struct stat st;
	int ok = 0, err = ENOENT;

	if (h->root[0] != '\0')
		ok = lstat(git, &st) == 0, err = errno;
	free(git);
	if (!ok && err == EACCES) /* a home, which this user may not read */
		return rerr_set(e, RX_IO, "%s: %s", h->state, strerror(err));
	if (!ok && !fs_exists(h->state))
		return rerr_set(e, RX_CONFIG, "%s: not a home (no state/); run 'carctl init %s'",
				h->root, h->root);
	if (home_has_repo(h, e) < 0 || store_open(s, h->state, e) < 0)
		return -1;
	/* main removed: no answer as from an empty home (a replica has none before its
	 * first history, whose packs it may hold) */
	if (!home_is_replica(h) && store_main_missing(*s, RX_IO, e) < 0)
		return -1;
	/* A replica without main answers nothing as if it were the business's state */
	if (home_is_replica(h) && !store_has_commit(*s))
		return home_replica_lost_main(h, e) < 0 ? -1
			: rerr_set(e, RX_TEMP, "%s: a replica that has taken no history from its primary "
				   "yet ('dispatcher --check' says why): try again later", h->root);
	return home_check_layout(h, *s, e);
}

int home_settings(const struct home *h, struct cfg *c, struct rerr *e)
{
	return cfg_load(c, h->config, h->root, e);
}

int home_replica_lost_main(const struct home *h, struct rerr *e)
{
	char *path = home_follow_file(h);
	struct kv m;
	int rc = 0;

	/* the head its last round held, as replica.c records it */
	if (kv_load(path, &m, NULL) == 0 && kv_get(&m, "head") && kv_get(&m, "head")[0])
		rc = rerr_set(e, RX_IO, "state: main names no commit, though this replica followed "
			      "its primary to %.12s (main removed by hand?): the next round of "
			      "following sets it again", kv_get(&m, "head"));
	kv_free(&m);
	free(path);
	return rc;
}

int home_check_layout(const struct home *h, struct store *s, struct rerr *e)
{
	int v = rec_layout(s, e);

	if (v >= 0 && rec_layout_own(v))
		return 0;
	if (v < 0 && home_is_replica(h)) /* its primary's record: no upgrade of its own mends it */
		return -1;
	if (v > 0 && v < RECORDS_LAYOUT_READ && home_is_replica(h)) /* no upgrade of its own */
		return rerr_set(e, RX_CONFIG, "state/layout: version %d, an older release's, as its "
				"primary's: upgrade the primary ('dispatcher --upgrade' there), which this "
				"replica then follows", v);
	return rec_check_layout(s, e); /* its message for another layout */
}

int home_load_config(struct home *h, struct cfg *c, struct rerr *e)
{
	struct cfg *own = c ? NULL : xcalloc(1, sizeof *own); /* 18 KiB: not on the stack */
	int rc;

	if (c == NULL)
		c = own;
	if ((rc = home_settings(h, c, e)) == 0) {
		h->spool_named = c->spool[0] != '\0';
		free(h->spool);
		h->spool = !h->spool_named ? xasprintf("%s/spool", h->root)
			   : c->spool[0] == '/' ? xstrdup(c->spool) : xasprintf("%s/%s", h->root, c->spool);
	}
	free(own);
	return rc;
}

/* Whether a and b name one file (followed through links). */
static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int home_run_as_owner(const struct home *h, struct rerr *e)
{
	char *git = xasprintf("%s/.git", h->state), *ref = xasprintf("%s/refs/heads/main", git);
	struct stat st, last;
	int rc = 0;

	if (geteuid() == 0 && stat(git, &st) == 0 && st.st_uid != 0) {
		struct passwd *pw = getpwuid(st.st_uid);
		gid_t gid = pw ? pw->pw_gid : st.st_gid;
		/* The owner's last write says its umask: root's own (sudo's 077) would keep
		 * the readers out, or let in whom the owner does not. */
		if (stat(ref, &last) == 0)
			st.st_mode = last.st_mode;
		if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) < 0 || setgid(gid) < 0 ||
		    setuid(st.st_uid) < 0)
			rc = rerr_set(e, RX_PERM, "%s: another user's (uid %u): root cannot act as it: %s",
				      git, (unsigned)st.st_uid, strerror(errno));
		else /* a file's mode: what it lets read, a folder made may be searched too */
			umask(~(st.st_mode | (st.st_mode & 0044) >> 2) & 0077);
	}
	free(ref);
	free(git);
	return rc;
}

int home_rival(const struct home *h, const char *other)
{
	struct home o;
	struct rerr e = {0};
	int rival;

	if (*other != '/' || same_file(other, h->root))
		return 0;
	home_resolve(&o, other);
	rival = home_has_repo(&o, &e) == 0 && home_load_config(&o, NULL, &e) == 0 && same_file(o.spool, h->spool);
	home_free(&o);
	return rival;
}

char *home_replica_file(const struct home *h)
{
	return xasprintf("%s/.git/rental-primary", h->state);
}

char *home_follow_file(const struct home *h)
{
	return xasprintf("%s/.git/rental-follow", h->state);
}

int home_is_replica(const struct home *h)
{
	char *p = home_replica_file(h);
	int rc = fs_exists(p);

	free(p);
	return rc;
}

int home_replica_read(const struct home *h, struct replica *r, struct rerr *e)
{
	char *path = home_replica_file(h);
	struct kv m;
	int rc = kv_load(path, &m, e);

	memset(r, 0, sizeof *r);
	if (rc == 1)
		rc = rerr_set(e, RX_CONFIG, "%s: not a replica", h->root);
	if (rc == 0) {
		snprintf(r->url, sizeof r->url, "%s", kv_get(&m, "url") ?: "");
		snprintf(r->trusted_from, sizeof r->trusted_from, "%s", kv_get(&m, "trusted_from") ?: "");
		r->trusted = kv_get(&m, "trust") && sig_pk_decode(r->trust, kv_get(&m, "trust")) == 0;
		if (r->url[0] == '\0')
			rc = rerr_set(e, RX_CONFIG, "%s: names no primary", path);
	}
	kv_free(&m);
	free(path);
	return rc;
}

int home_replica_write(const struct home *h, const struct replica *r, struct rerr *e)
{
	char *path = home_replica_file(h), pk[SIG_PK_B64], *buf;
	struct kv m;
	size_t len;
	int rc;

	kv_init(&m);
	kv_set(&m, "url", r->url);
	if (r->trusted) {
		sig_pk_b64(pk, r->trust);
		kv_set(&m, "trust", pk);
		kv_set(&m, "trusted_from", r->trusted_from);
	}
	buf = kv_format(&m, &len);
	rc = fs_write_atomic(path, buf, len, 1, e);
	free(buf);
	kv_free(&m);
	free(path);
	return rc;
}

int home_check_writable(const struct home *h, struct rerr *e)
{
	if (h->spool_named || !home_is_replica(h))
		return 0;
	return rerr_set(e, RX_PERM, "%s: a replica, whose own spool no dispatcher applies; "
			"name the primary's spool in its settings (spool: PATH) to write from here",
			h->root);
}

/* A refusal (e) of an act on the car or key that an event waiting in the spool names
 * (FIELD: VALUE): RX_TEMP, as the event may register it (carctl add or key add
 * before the dispatcher ran). A false match only asks to try again later. */
static int waits(const struct home *h, const char *field, const char *value, struct rerr *e)
{
	if (spool_mentions(h->spool, field, value))
		rerr_set(e, RX_TEMP, "%s: not yet applied (an event on it waits in the spool): try again later",
			 value);
	return -1;
}

int home_role(const struct home *h, struct store *s, const char *actor, int *role, struct rerr *e)
{
	struct kv key;
	int rc;

	if (!valid_name(actor))
		return rerr_set(e, RX_PERM, "%.40s: not a valid identity", actor);
	rc = ledger_key(s, actor, &key, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		rerr_set(e, RX_PERM, "%s: unknown identity (no registered key)", actor);
		return waits(h, "name", actor, e);
	}
	*role = role_parse(kv_get(&key, "role") ? kv_get(&key, "role") : "");
	rc = ledger_revoked(&key) ? rerr_set(e, RX_PERM, "%s: key revoked", actor)
				  : ledger_key_usable(s, actor, &key, e);
	kv_free(&key);
	if (rc < 0 && e->code != RX_PERM)
		return -1; /* the state could not be read: that, not a refusal */
	return rc < 0 ? waits(h, "name", actor, e) : 0; /* a new key for it may wait */
}

int home_require(const struct home *h, struct store *s, const char *actor, unsigned roles,
		 const char *what, struct rerr *e)
{
	int role;

	if (home_role(h, s, actor, &role, e) < 0)
		return -1;
	if (!(roles & (unsigned)role))
		return rerr_set(e, RX_PERM, "%s: %s %s may not %s", actor, role == ROLE_ADMIN ? "an" : "a",
				role_name(role), what);
	return 0;
}

int home_key_waits(const struct home *h, const char *name, struct rerr *e)
{
	return e->code == RX_REFUSED ? waits(h, "name", name, e) : -1;
}

int home_car_waits(const struct home *h, struct store *s, const char *car, struct rerr *e)
{
	struct rerr io = {0};
	struct kv c;
	int rc;

	if (s == NULL || e->code != RX_REFUSED || !valid_name(car))
		return -1;
	if ((rc = management_car(s, car, &c, &io)) == 0)
		kv_free(&c);
	return rc == 1 ? waits(h, "car", car, e) : -1;
}

int home_refusal_pending(const struct home *h, const char *res, struct rerr *e)
{
	char why[128];

	if (e->code != RX_REFUSED || !spool_mentions(h->spool, "reservation", res))
		return -1;
	snprintf(why, sizeof why, "as the state stands; an event on %s waits in the spool", res);
	return rerr_later(e, why);
}

int home_check_reservation(const struct home *h, struct store *s, const char *res,
			   const char *actor, int role, struct rerr *e)
{
	char owner[40];
	int rc;

	if (!valid_id(res, "res"))
		return rerr_set(e, RX_DATA, "%.40s: not a reservation id (res- and 16 hex digits)", res);
	rc = ledger_owner(s, res, owner, e);
	if (rc < 0)
		return -1;
	if (rc == 1 && spool_has_id(h->spool, res))
		return rerr_set(e, RX_TEMP, "%s: not yet applied", res);
	if (rc == 1 && home_is_replica(h)) /* its primary may know it already */
		return rerr_set(e, RX_TEMP, "%s: unknown to this replica, which may not have followed its "
				"primary since it was applied there: try again later", res);
	if (rc == 1)
		return rerr_set(e, RX_REFUSED, "%s: unknown reservation", res);
	if (role != ROLE_ADMIN && strcmp(owner, actor) != 0)
		return rerr_set(e, RX_PERM, "%s: not a reservation of %s", res, actor);
	return 0;
}

/* Whether k is the key registered for actor (not one revoked, nor replaced since). */
static int registered_key(struct store *s, const char *actor, const struct seckey *k, struct rerr *e)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct kv key;
	int rc = ledger_key(s, actor, &key, e), same;

	if (rc != 0)
		return rc < 0 ? -1 : rerr_set(e, RX_PERM, "%s: unknown identity (no registered key)", actor);
	same = !ledger_revoked(&key) && sig_pk_decode(pk, kv_get(&key, "pubkey") ?: "") == 0 &&
	       sodium_memcmp(pk, k->pk, sizeof pk) == 0;
	kv_free(&key);
	if (!same)
		return rerr_set(e, RX_PERM, "%s: keys/%s.key is not the key registered for %s (revoked or replaced)",
				actor, actor, actor);
	return 0;
}

int home_submit(const struct home *h, struct store *s, const char *actor, struct event *ev,
		struct rerr *e)
{
	struct seckey k;
	char *path;
	int rc;

	if (!valid_name(actor))
		return rerr_set(e, RX_PERM, "%.40s: not a valid identity", actor);
	if (home_check_writable(h, e) < 0)
		return -1;
	path = xasprintf("%s/%s.key", h->keys, actor);
	rc = seckey_load(&k, path, e);
	free(path);
	if (rc < 0)
		return -1;
	if (s && registered_key(s, actor, &k, e) < 0) {
		seckey_free(&k);
		return -1;
	}
	event_seal(ev, &k);
	seckey_free(&k);
	return spool_write(h->spool, kv_get(&ev->f, "id"), ev->raw, ev->len, e);
}

