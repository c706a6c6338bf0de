/* remote: what one repository's main adds to another's history, copied in memory and
 * reads bounded by what changed, not by the size of the state. The objects a commit
 * adds are found by comparing its tree with its parent's, entry by entry, reading only
 * subtrees whose ids differ: a push after a batch reads what the batch wrote.
 *
 * A push to a path or file:// remote writes a pack and its index into its repository,
 * then moves its main (as git moves a ref: REF.lock, made only if absent, renamed in);
 * to git:// and ssh://, the pack goes through git's receive-pack protocol (over TCP, or
 * the ssh program). A replica fetching from a path reads that repository with the
 * project's reader and writes what it lacks as packs of its own. A history larger than
 * a step (a first push or fetch) goes in steps of a pack each (and, pushed, a move of
 * main each). */
#ifndef RENTAL_REMOTE_H
#define RENTAL_REMOTE_H
#include "util.h"
#include <stdint.h>

/* Pushes refs/heads/main of gitdir to url's (a fast forward only), as transport_push
 * (transport.h), which it leaves the URLs it does not speak (http, https); only a main
 * whose commit signer (the dispatcher's key) signed: no replica takes another. idle:
 * seconds without progress before SIGALRM (armed again at each sign of it). 0, or -1
 * with e: RX_TEMP unreachable or failing, RX_REFUSED the remote said no, or its main
 * is not in this history, RX_DATA main's commit is not signed. */
int push_main(const char *gitdir, const char *url, const unsigned char *signer, int idle,
	      struct rerr *e);
/* Fetches from the repository at url (a path) into gitdir's objects what gitdir lacks
 * of the history of url's main, as transport_fetch does (tip: url's main; no ref of
 * gitdir moves): from the newest commit gitdir has (and everything it reaches, as git
 * takes it). idle: as above. 0, 1 if url has no main, 2 if it borrows objects of
 * another repository (alternates), which this reader does not follow: libgit2's to
 * fetch; -1 with e: RX_IO a fault of gitdir's (its disk, or more to write than room
 * bytes), RX_DATA an object of url's history cannot be read (damaged), RX_TEMP url is
 * not there or cannot be opened (a ref, an index, its permissions). */
int path_fetch(const char *gitdir, const char *url, int idle, uint64_t room, char tip[41],
	       struct rerr *e);
#endif
