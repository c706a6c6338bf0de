/* url: a git URL as the dispatcher speaks it: a path here (a path, file://) or not
 * (git://, ssh://, scp's host:path). */
#ifndef RENTAL_URL_H
#define RENTAL_URL_H
#include "util.h"

/* Whether url names a repository here (a path, file://), which path_fetch reads. */
int url_is_path(const char *url);
/* url with a path made absolute and plain (*out, the caller's): a relative one from
 * the folder from (NULL: the current one); a path through a symlink stays the link (a
 * link moved to another copy is followed there), and one not there yet (a mount to
 * come) is kept as given; file:// of a path, so too. Other URLs as they are. -1 with e: a file:// URL of a
 * relative path (RX_DATA), or a folder from that cannot be resolved (RX_IO). */
int url_absolute(const char *url, const char *from, char **out, struct rerr *e);
#endif
