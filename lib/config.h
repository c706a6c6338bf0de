/* config: config/rental.yaml, read strictly with libyaml. */
#ifndef RENTAL_CONFIG_H
#define RENTAL_CONFIG_H
#include "util.h"

enum context {
	CTX_MANAGEMENT, CTX_RESERVATION, CTX_PAYMENT, CTX_RENTAL, CTX_RATING, CTX_MYPAGE,
	CTX_COUNT
};

#define CFG_PATH_MAX 1024
#define CFG_REMOTES_MAX 16

struct cfg {
	char country[64], region[64], currency[16];
	long max_pending, consecutive_errors, open_seconds;
	int enabled[CTX_COUNT];
	char spool[CFG_PATH_MAX]; /* the spool folder, as written ("": the home's spool/) */
	char remotes[CFG_REMOTES_MAX][CFG_PATH_MAX]; /* replicate: git URLs main is pushed to */
	int nremotes;
	char twice[CFG_PATH_MAX]; /* a remote as written that names one before it ("": none) */
	long max_lag_seconds;
};

const char *context_name(int ctx);
/* Fills c with the defaults of the contract. */
void cfg_defaults(struct cfg *c);
/* Reads path; an unknown key, a wrong type or a missing file is RX_CONFIG with
 * "PATH:LINE: what is wrong". A path in replicate.remotes is made absolute and plain
 * from the folder home (NULL: the current one), as the dispatcher reaches
 * it; one repository named twice (a path and file://, relative and absolute, through a
 * link) is pushed to once: the second name is left out, and kept in twice. */
int cfg_load(struct cfg *c, const char *path, const char *home, struct rerr *e);
/* The default settings file, as text. */
const char *cfg_default_text(void);
#endif
