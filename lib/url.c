/* url: the git URLs of the settings and of a replica, as paths or not (see url.h). No
 * network here, and no libgit2: every command that reads its settings links this. */
#include "url.h"
#include "util.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int url_is_path(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (strncmp(url, "file://", 7) == 0)
		return 1;
	if (strstr(url, "://"))
		return 0;
	/* Without a scheme, scp's form, [user@]host:path, when a colon comes before any
	 * slash (as git reads it); else a path. */
	return !(colon && colon > url && (slash == NULL || colon < slash));
}

/* path with its "." and ".." taken out by text, as from its folders' names alone
 * (path absolute). */
static char *plain_path(const char *path)
{
	char *out = xcalloc(strlen(path) + 2, 1), *seg = xstrdup(path), *save = NULL;
	size_t len = 0;

	for (char *p = strtok_r(seg, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			len -= len > 0; /* the slash before it */
			out[len] = '\0';
			continue;
		}
		len += (size_t)sprintf(out + len, "/%s", p);
	}
	if (len == 0)
		strcpy(out, "/");
	free(seg);
	return out;
}

/* path (absolute) plain: up to its last "..", as the kernel resolves it (through the
 * symlinks before it), where that part is there; by text where it is not (a folder
 * removed since); the rest as given, a symlink in it staying one. */
static char *plain_url_path(const char *path)
{
	const char *last = NULL;
	char *real = NULL, *joined, *plain;

	for (const char *p = path; (p = strstr(p, "/..")) != NULL; p += 3)
		if (p[3] == '/' || p[3] == '\0')
			last = p + 3;
	if (last) {
		char *upto = xstrndup(path, (size_t)(last - path));
		real = realpath(upto, NULL);
		free(upto);
	}
	if (real == NULL)
		return plain_path(path);
	joined = xasprintf("%s%s", real, last);
	plain = plain_path(joined);
	free(joined);
	free(real);
	return plain;
}

int url_absolute(const char *url, const char *from, char **out, struct rerr *e)
{
	char *base = NULL, *joined;

	*out = NULL;
	if (strncmp(url, "file://", 7) == 0 && url[7] != '/')
		return rerr_set(e, RX_DATA, "%s: file:// takes an absolute path (file:///srv/m.git); a "
				"relative one is written without it", url);
	if (!url_is_path(url) || strncmp(url, "file://", 7) == 0) {
		*out = xstrdup(url); /* as written: its push record is keyed by it */
		return 0;
	}
	if (url[0] == '/') {
		*out = plain_url_path(url);
		return 0;
	}
	/* The folder it is from, as the kernel resolves it: one home named two ways (a
	 * link, ".", a trailing slash) names its remotes one way. */
	if ((base = realpath(from ? from : ".", NULL)) == NULL)
		return rerr_set(e, RX_IO, "%s: %s, which the path %s is from", from ? from : "the current folder",
				strerror(errno), url);
	joined = xasprintf("%s/%s", base, url);
	*out = plain_url_path(joined);
	free(joined);
	free(base);
	return 0;
}

int url_same_repository(const char *a, const char *b)
{
	struct stat sa, sb;
	char *pa, *pb;
	int same;

	if (!url_is_path(a) || !url_is_path(b))
		return strcmp(a, b) == 0;
	a += strncmp(a, "file://", 7) == 0 ? 7 : 0;
	b += strncmp(b, "file://", 7) == 0 ? 7 : 0;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0) /* one folder through links, or not */
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	pa = plain_url_path(a);
	pb = plain_url_path(b);
	same = strcmp(pa, pb) == 0;
	free(pa);
	free(pb);
	return same;
}
