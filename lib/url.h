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
 * come) is kept as given. Other URLs (file:// ones too) as they are. -1 with e: a file:// URL of a
 * relative path (RX_DATA), or a folder from that cannot be resolved (RX_IO). */
int url_absolute(const char *url, const char *from, char **out, struct rerr *e);
/* Whether two URLs made absolute name one repository: a path and file:// of it, or
 * two paths to one folder (through a link); others as written. */
int url_same_repository(const char *a, const char *b);
#endif
