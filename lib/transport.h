/* transport: main pushed to a git remote, or a remote's main fetched, with libgit2:
 * the fetches over git:// and ssh://, and the pushes to URLs remote.c does not speak
 * (http, https); remote.c does the rest with the project's reader. The one module that
 * calls libgit2, so only the dispatcher, which alone calls it, loads that library. */
#ifndef RENTAL_TRANSPORT_H
#define RENTAL_TRANSPORT_H
#include "util.h"
#include <signal.h>

/* Both give the remote idle seconds (0: no limit) between signs of progress: each
 * arms alarm(idle) again, so that SIGALRM, whose handling is the caller's, comes only
 * when the remote has stopped answering; they end with alarm(0). */

/* Pushes refs/heads/main of the repository gitdir to url's refs/heads/main (a fast
 * forward only). 0, or -1 with e saying why (RX_TEMP: the remote cannot be reached). */
int transport_push(const char *gitdir, const char *url, int idle, struct rerr *e);
/* Asks url which commit its refs/heads/main names (tip, hex) and, unless it is have
 * (hex, or ""), fetches what gitdir lacks of its history into gitdir's objects;
 * no ref of gitdir moves. It runs in a child process of bounded memory, which stop
 * (NULL: none), once set, ends (the caller's signal handler sets it). 0, 1 if url has
 * no main, -1 with e (RX_TEMP: unreachable, or stopped). */
int transport_fetch(const char *gitdir, const char *url, const char *have, char tip[41],
		    int idle, const volatile sig_atomic_t *stop, struct rerr *e);
#endif
