/* init: making a new home: folders, settings, the admin and dispatcher keys, and the
 * genesis events that register them, applied at once. Kept apart from home.c so
 * that the commands that never create a home do not link the dispatcher. */
#include "home.h"
#include "dispatch.h"
#include "spool.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_key(const struct home *h, const char *name, struct seckey *k, struct rerr *e)
{
	char *path = xasprintf("%s/%s.key", h->keys, name);
	int rc = seckey_generate(k, e);

	if (rc == 0 && (rc = seckey_save(k, path, e)) < 0)
		seckey_free(k);
	free(path);
	return rc;
}

/* The genesis: the admin registers itself, then the dispatcher's key. */
static int write_genesis(const struct home *h, struct rerr *e)
{
	struct seckey admin, disp;
	char pk[SIG_PK_B64];
	struct event ev;
	int rc = -1;

	if (make_key(h, "admin", &admin, e) < 0)
		return -1;
	if (make_key(h, "dispatcher", &disp, e) < 0) {
		seckey_free(&admin);
		return -1;
	}
	const struct { const char *name, *role; const unsigned char *pk; } regs[] = {
		{"admin", "admin", admin.pk}, {"dispatcher", "system", disp.pk}};
	for (size_t i = 0; i < 2; i++) {
		event_init(&ev);
		event_start(&ev, "key.add", "admin");
		kv_set(&ev.f, "name", regs[i].name);
		kv_set(&ev.f, "role", regs[i].role);
		sig_pk_b64(pk, regs[i].pk);
		kv_set(&ev.f, "pubkey", pk);
		event_seal(&ev, &admin);
		rc = spool_write(h->spool, kv_get(&ev.f, "id"), ev.raw, ev.len, e);
		event_free(&ev);
		if (rc < 0)
			break;
		usleep(1000); /* keeps the two in name order */
	}
	seckey_free(&admin);
	seckey_free(&disp);
	return rc;
}

static int make_dirs(const struct home *h, struct rerr *e)
{
	const char *subs[] = {"config", "spool/tmp", "spool/new", "spool/bad", "keys"};

	for (size_t i = 0; i < 5; i++) {
		char *p = xasprintf("%s/%s", h->root, subs[i]);
		int rc = fs_mkdirs(p, e);
		free(p);
		if (rc < 0)
			return -1;
	}
	if (chmod(h->keys, 0700) < 0)
		return rerr_set(e, RX_IO, "%s: %s", h->keys, strerror(errno));
	if (!fs_exists(h->config))
		return fs_write_atomic(h->config, cfg_default_text(), strlen(cfg_default_text()), 1, e);
	return 0;
}

int home_init(const char *dir, int *created, struct rerr *e)
{
	struct home h;
	struct store *s = NULL;
	struct cfg c;
	struct dispatch_stats st;
	char *git;
	int rc = -1;

	home_resolve(&h, dir);
	git = xasprintf("%s/.git", h.state);
	*created = !fs_exists(git);
	free(git);
	if (!*created) {
		home_free(&h);
		return 0;
	}
	if (make_dirs(&h, e) < 0 || store_init_repo(h.state, e) < 0 || write_genesis(&h, e) < 0)
		goto out;
	if (home_load_config(&h, &c, e) < 0 || store_open_git(&s, h.state, e) < 0 ||
	    store_lock(s, 0, e) < 0 || dispatch_batch(&h, s, &c, &st, e) < 0)
		goto out;
	if (st.applied != 2) {
		rerr_set(e, RX_SOFTWARE, "%s: the genesis keys were not applied", dir);
		goto out;
	}
	rc = 0;
out:
	store_free(s);
	home_free(&h);
	return rc;
}
