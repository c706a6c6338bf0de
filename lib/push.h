/* push: main sent to a remote in memory and reads bounded by what changed since the
 * remote's main, not by the size of the state. The objects a commit adds are found by
 * comparing its tree with its parent's, entry by entry, reading only subtrees whose
 * ids differ: a push after a batch reads what the batch wrote. A path or file:// remote
 * gets a pack and its index written into its repository, then its main moved (as git
 * moves a ref: REF.lock, made only if absent, renamed in); git:// and ssh:// get the
 * pack through git's receive-pack protocol (over TCP, or the ssh program). A history
 * larger than a step (a first push) goes in steps, each a pack and a move of main. */
#ifndef RENTAL_PUSH_H
#define RENTAL_PUSH_H
#include "util.h"

/* Pushes refs/heads/main of gitdir to url's (a fast forward only), as transport_push
 * (transport.h), which it leaves the URLs it does not speak (http, https). idle:
 * seconds without progress before SIGALRM (armed again at each sign of it). 0, or -1
 * with e: RX_TEMP unreachable or failing, RX_REFUSED the remote said no, or its main
 * is not in this history. */
int push_main(const char *gitdir, const char *url, int idle, struct rerr *e);
#endif
