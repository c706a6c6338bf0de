/* spool: writers never leave a partial file in new/ (tmp + fsync + rename, as maildir). */
#include "spool.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int spool_write(const char *spool, const char *id, const char *buf, size_t len, struct rerr *e)
{
	struct timespec ts;
	char *tmp, *dst, *newdir;
	int fd, rc = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* The name orders arrivals by its 20 digits of time, and the event's time is a date
	 * from 1970: a clock out of those is set wrong, and what it wrote would be
	 * quarantined. */
	if (ts.tv_sec < 0 || ts.tv_sec > 99999999999LL)
		return rerr_set(e, RX_TEMP, "the clock says %lld s from 1970: an event cannot be "
				"written before 1970 or after 5138; set the clock", (long long)ts.tv_sec);
	tmp = xasprintf("%s/tmp/%011lld%09ld.%s", spool, (long long)ts.tv_sec, ts.tv_nsec, id);
	dst = xasprintf("%s/new/%011lld%09ld.%s", spool, (long long)ts.tv_sec, ts.tv_nsec, id);
	newdir = xasprintf("%s/new", spool);
	/* Readable by whom new/ lets read (its dispatcher may be another user), whatever
	 * the writer's umask: the file is 0600, plus new/'s read bits for group and others,
	 * and new/'s group (not the writer's own, nor root's): a writer may give a file a
	 * group it is in, and one that may write new/ by its group is in it. */
	struct stat nd;
	if (stat(newdir, &nd) < 0) {
		rerr_set(e, RX_IO, "%s: %s", newdir, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600 | (nd.st_mode & 0044)) < 0) {
		rerr_set(e, RX_IO, "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	if (nd.st_mode & 0040)
		(void)!fchown(fd, (uid_t)-1, nd.st_gid);
	const char *p = buf;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	if (left > 0 || fsync(fd) < 0) {
		rerr_set(e, RX_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		rerr_set(e, RX_IO, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	crash_point("writer");
	if (rename(tmp, dst) < 0) {
		rerr_set(e, RX_IO, "%s: %s", dst, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = fs_fsync_dir(newdir, e);
out:
	free(tmp);
	free(dst);
	free(newdir);
	return rc;
}

/* A file of new/ and when it arrived there: its ctime, which its rename into new/
 * set and no writer can set back (a name is the writer's to choose). */
struct arrival {
	char *name;
	struct timespec at;
};

static int by_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;
	int c = ts_cmp(&x->at, &y->at);

	return c ? c : strcmp(x->name, y->name);
}

#define SPOOL_STUCK ".stuck-"

/* A folder spool_quarantine set aside in new/ (a file so named is a stray file). */
static int set_aside(const char *name, const struct stat *st)
{
	return S_ISDIR(st->st_mode) && strncmp(name, SPOOL_STUCK, strlen(SPOOL_STUCK)) == 0;
}

/* Sorts v (n) by arrival and keeps the oldest keep: the new count. */
static size_t keep_oldest(struct arrival *v, size_t n, size_t keep)
{
	if (n > 1)
		qsort(v, n, sizeof *v, by_arrival);
	for (size_t i = keep; i < n; i++)
		free(v[i].name);
	return n < keep ? n : keep;
}

int spool_list_new(struct spool_list *l, const char *spool, size_t max, struct rerr *e)
{
	char *dir = xasprintf("%s/new", spool);
	DIR *d = fs_opendir(dir);
	struct dirent *de;
	struct arrival *v = NULL;
	size_t n = 0, cap = 0;

	l->n = 0;
	l->names = NULL;
	l->at = NULL;
	if (d == NULL) {
		rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	/* A batch's names and the ties after it are at most 2 * max: the oldest are kept
	 * as the folder is read, so a spool of a million files takes a batch's memory. */
	size_t keep = max < SIZE_MAX / 2 ? 2 * max : max;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue; /* a dot file is listed too: it is quarantined, not ignored */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* gone: its writer took it back */
			memset(&st, 0, sizeof st); /* first: its read says what is wrong */
		}
		if (set_aside(de->d_name, &st))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = (struct arrival){xstrdup(de->d_name), st.st_ctim};
		if (n >= 2 * keep && keep > 0)
			n = keep_oldest(v, n, keep);
	}
	closedir(d);
	free(dir);
	n = keep_oldest(v, n, keep);
	/* Files that arrived in one tick are not split between batches: which of them came
	 * first cannot be told, and a batch judges them together. Writers rename each file
	 * once; a tick of more than a batch's names is links of a few files (a chmod sets
	 * the ctime of all a file's names), taken at most twice a batch at a time. */
	size_t cut = max < n ? max : n;
	while (cut > 0 && cut < n && cut < keep && ts_cmp(&v[cut].at, &v[cut - 1].at) == 0)
		cut++;
	l->names = xcalloc(n + 1, sizeof *l->names);
	l->at = xcalloc(n + 1, sizeof *l->at);
	for (size_t i = 0; i < n; i++) {
		if (i < cut) {
			l->at[l->n] = v[i].at;
			l->names[l->n++] = v[i].name;
		} else {
			free(v[i].name);
		}
	}
	free(v);
	return 0;
}

void spool_list_free(struct spool_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->at);
	l->names = NULL;
	l->at = NULL;
	l->n = 0;
}

const char *spool_name_id(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && valid_id(dot + 1, NULL) ? dot + 1 : NULL;
}

/* 1 if neither bad/NAME nor bad/NAME.reason exists. */
static int bad_free(const char *spool, const char *name)
{
	char *d = xasprintf("%s/bad/%s", spool, name), *r = xasprintf("%s/bad/%s.reason", spool, name);
	int free_ = !fs_exists(d) && !fs_exists(r);

	free(d);
	free(r);
	return free_;
}

/* The name a file takes in bad/: its own if it is short and free there
 * (so an operator finds it), else a fresh one: a hostile name never blocks. */
static char *bad_name(const char *spool, const char *name, int fresh)
{
	struct timespec ts;

	if (!fresh && strlen(name) <= 200 && bad_free(spool, name))
		return xstrdup(name);
	for (unsigned i = 0;; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		char *n = xasprintf("%011lld%09ld.quarantined-%u", (long long)ts.tv_sec, ts.tv_nsec, i);
		if (bad_free(spool, n))
			return n;
		free(n);
	}
}

/* The reason as one line of printable text, whatever the names in it hold. */
static char *reason_line(const char *reason)
{
	char *text = xasprintf("%s\n", reason);

	int shown, len;

	for (char *p = text; p[1] != '\0'; p += len) { /* the newline it ends with, kept */
		len = text_unit(p, &shown);
		if (!shown)
			memset(p, '?', (size_t)len);
	}
	return text;
}

/* new/NAME could not be moved to bad/ (err): a folder another user made, which this
 * one may not move to another folder, is renamed within new/ (which needs the right to
 * write new/ alone), where no listing takes it: 2. Else the fault, -1. */
static int set_folder_aside(const char *spool, const char *name, int err, struct rerr *e)
{
	char *src = xasprintf("%s/new/%s", spool, name), aside[64];
	struct stat st;
	int rc = -1, why = 0;

	if ((err != EACCES && err != EPERM) || lstat(src, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(src);
		return rerr_set(e, RX_IO, "%s/bad/: %s: %s", spool, name, strerror(err));
	}
	/* .stuck-NS-N, a name of this moment, the first N free: NAME's own length, or
	 * names made beforehand by whoever may write new/, may not stop it. Never over one:
	 * a folder replaces an empty one. */
	struct timespec at;
	clock_gettime(CLOCK_REALTIME, &at);
	for (unsigned long n = 0; rc < 0; n++) {
		snprintf(aside, sizeof aside, SPOOL_STUCK "%011lld%09ld-%lu", (long long)at.tv_sec, at.tv_nsec, n);
		char *dst = xasprintf("%s/new/%s", spool, aside);
		rc = renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE);
		if (rc < 0 && (errno == EINVAL || errno == ENOSYS)) /* a file system (NFS) or kernel without it */
			rc = lstat(dst, &st) == 0 ? (errno = EEXIST, -1) : rename(src, dst);
		why = errno;
		free(dst);
		if (rc < 0 && why != EEXIST)
			break;
	}
	free(src);
	if (rc < 0)
		return rerr_set(e, RX_IO, "%s: a folder the dispatcher may not move (%s), nor set "
				"aside in spool/new: %s", name, strerror(err), strerror(why));
	rerr_set(e, RX_IO, "%s: a folder the dispatcher may not move (%s): left as spool/new/%s; "
		 "remove it by hand", name, strerror(err), aside);
	return 2;
}

int spool_quarantine(const char *spool, const char *name, const char *reason, struct rerr *e)
{
	char *src = xasprintf("%s/new/%s", spool, name), *text = reason_line(reason);
	int rc = -1;

	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		char *bad = bad_name(spool, name, attempt > 0);
		char *dst = xasprintf("%s/bad/%s", spool, bad), *why = xasprintf("%s.reason", dst);
		char *tmpdir = xasprintf("%s/tmp", spool);
		rc = fs_write_atomic_via(tmpdir, why, text, strlen(text), 1, e);
		free(tmpdir);
		if (rc == 0 && rename(src, dst) < 0) {
			struct stat st;
			int err = errno, gone = err == ENOENT && lstat(src, &st) < 0 && errno == ENOENT;
			rc = gone ? 1 : set_folder_aside(spool, name, err, e);
			unlink(why);
		}
		free(bad);
		free(dst);
		free(why);
	}
	free(src);
	free(text);
	return rc;
}

int spool_remove(const char *spool, const char *name, struct rerr *e)
{
	char *p = xasprintf("%s/new/%s", spool, name);
	int rc = fs_unlink(p, e);

	free(p);
	return rc;
}

/* How many files in new/ carry an id that match accepts. */
static size_t count_new(const char *spool, int (*match)(const char *id, const char *arg),
			const char *arg)
{
	char *dir = xasprintf("%s/new", spool);
	DIR *d = fs_opendir(dir);
	struct dirent *de;
	size_t n = 0;

	free(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *id = spool_name_id(de->d_name);
		n += id && match(id, arg);
	}
	closedir(d);
	return n;
}

static int has_prefix(const char *id, const char *prefix)
{
	size_t plen = strlen(prefix);

	return strncmp(id, prefix, plen) == 0 && id[plen] == '-';
}

static int is_id(const char *id, const char *want)
{
	return strcmp(id, want) == 0;
}

size_t spool_count_prefix(const char *spool, const char *prefix)
{
	return count_new(spool, has_prefix, prefix);
}

int spool_has_id(const char *spool, const char *id)
{
	return count_new(spool, is_id, id) > 0;
}

/* Calls fn with the text of each event waiting in new/ until it returns non-zero: that,
 * or 0. The raw text is enough for who asks: a false match only asks to try again
 * later. */
static int each_waiting(const char *spool, int (*fn)(const char *text, void *arg), void *arg)
{
	char *dir = xasprintf("%s/new", spool);
	DIR *d = fs_opendir(dir);
	struct dirent *de;
	int rc = 0;

	while (d && rc == 0 && (de = readdir(d)) != NULL) {
		char *p = xasprintf("%s/%s", dir, de->d_name), *buf = NULL;
		if (de->d_name[0] != '.' && fs_read(p, 1 << 16, &buf, NULL, NULL) == 0)
			rc = fn(buf, arg);
		free(buf);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

struct values {
	char *tline, *fline; /* "\ntype: TYPE\n", "\nFIELD: " */
	char **v;
	size_t n;
};

static int take_value(const char *text, void *arg)
{
	struct values *w = arg;
	const char *v;

	if (strstr(text, w->tline) && (v = strstr(text, w->fline)) != NULL) {
		v += strlen(w->fline);
		w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
		w->v[w->n++] = xstrndup(v, strcspn(v, "\n"));
	}
	return 0;
}

size_t spool_values(const char *spool, const char *type, const char *field, char ***out)
{
	struct values w = {xasprintf("\ntype: %s\n", type), xasprintf("\n%s: ", field), NULL, 0};

	each_waiting(spool, take_value, &w);
	free(w.tline);
	free(w.fline);
	*out = w.v;
	return w.n;
}

static int holds_text(const char *text, void *part)
{
	return strstr(text, part) != NULL;
}

int spool_mentions(const char *spool, const char *field, const char *value)
{
	char *line = xasprintf("\n%s: %s\n", field, value);
	int found = each_waiting(spool, holds_text, line);

	free(line);
	return found;
}

/* Calls fn on every entry of spool/SUB with its age; returns the count. */
static size_t scan(const char *spool, const char *sub, long *oldest,
		   int (*drop)(const char *path, long age, long arg), long arg, size_t *dropped)
{
	char *dir = xasprintf("%s/%s", spool, sub);
	DIR *d = fs_opendir(dir);
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	time_t now = time(NULL);
	int in_new = strcmp(sub, "new") == 0;

	if (d == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!in_new && strncmp(de->d_name, SPOOL_PROBE, strlen(SPOOL_PROBE)) == 0)
			continue; /* dispatcher --check's, not a writer's */
		char *p = xasprintf("%s/%s", dir, de->d_name);
		if (in_new && strncmp(de->d_name, SPOOL_STUCK, strlen(SPOOL_STUCK)) == 0 &&
		    lstat(p, &st) == 0 && set_aside(de->d_name, &st)) { /* a second look at those alone */
			free(p);
			continue; /* no event: spool_stuck_count's */
		}
		/* In new/, the older of its times: a writer sets the mtime (touch, cp -p), a
		 * link or a chmod the ctime (a backup of hard links), and neither may hide an
		 * event that waits. In tmp/, since it was last written. */
		long age = 0;
		if (lstat(p, &st) == 0)
			age = (long)(now - (in_new && st.st_ctime < st.st_mtime ? st.st_ctime : st.st_mtime));
		if (drop && drop(p, age, arg)) {
			if (dropped)
				(*dropped)++;
		} else {
			n++;
			if (oldest && age > *oldest)
				*oldest = age;
		}
		free(p);
	}
	closedir(d);
	free(dir);
	return n;
}

static int drop_old(const char *path, long age, long max_age)
{
	return age > max_age && unlink(path) == 0;
}

size_t spool_clean_tmp(const char *spool, long max_age, size_t *removed)
{
	return scan(spool, "tmp", NULL, drop_old, max_age, removed);
}

long spool_oldest_age(const char *spool, size_t *count)
{
	long oldest = 0;
	size_t n = scan(spool, "new", &oldest, NULL, 0, NULL);

	if (count)
		*count = n;
	return oldest;
}

size_t spool_bad_count(const char *spool)
{
	return scan(spool, "bad", NULL, NULL, 0, NULL) / 2;
}

size_t spool_stuck_count(const char *spool)
{
	char *dir = xasprintf("%s/new", spool);
	DIR *d = fs_opendir(dir);
	struct dirent *de;
	struct stat st;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, SPOOL_STUCK, strlen(SPOOL_STUCK)) == 0 &&
		     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && set_aside(de->d_name, &st);
	if (d)
		closedir(d);
	free(dir);
	return n;
}
