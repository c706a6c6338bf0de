/* config: config/rental.yaml, read strictly with libyaml. */
#ifndef RENTAL_CONFIG_H
#define RENTAL_CONFIG_H
#include "util.h"

enum context {
	CTX_MANAGEMENT, CTX_RESERVATION, CTX_PAYMENT, CTX_RENTAL, CTX_RATING, CTX_MYPAGE,
	CTX_COUNT
};

struct cfg {
	char country[64], region[64], currency[16];
	long max_pending, consecutive_errors, open_seconds;
	int enabled[CTX_COUNT];
};

const char *context_name(int ctx);
/* Fills c with the defaults of the contract. */
void cfg_defaults(struct cfg *c);
/* Reads path; an unknown key, a wrong type or a missing file is RX_CONFIG with
 * "PATH:LINE: what is wrong". */
int cfg_load(struct cfg *c, const char *path, struct rerr *e);
/* The default settings file, as text. */
const char *cfg_default_text(void);
#endif
