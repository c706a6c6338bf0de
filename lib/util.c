/* util: the small helpers every module uses: errors, whole-file I/O, validation. */
#include "util.h"
#include "limit.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

int rerr_set(struct rerr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	e->rests_on = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *_Atomic oom_after; /* read by any thread, set by the main one */

void out_of_memory_after(const char *done)
{
	oom_after = done;
}

void out_of_memory(void)
{
	/* As every error: the program's name, the message, its status. _exit: from any
	 * thread, with nothing more to allocate. */
	const char *done = oom_after;

	if (done)
		fprintf(stderr, "%s: out of memory, %s\n", program_invocation_short_name, done);
	else
		fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
	_exit(RX_SOFTWARE);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		out_of_memory();
	return q;
}

int rerr_add(struct rerr *e, const char *fmt, ...)
{
	char add[sizeof e->msg];
	size_t len, keep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(add, sizeof add, fmt, ap);
	va_end(ap);
	len = strlen(add);
	keep = strlen(e->msg);
	if (keep > sizeof e->msg - 1 - len)
		keep = sizeof e->msg - 1 - len;
	memcpy(e->msg + keep, add, len + 1);
	return -1;
}

int rerr_later(struct rerr *e, const char *why)
{
	e->code = RX_TEMP;
	e->rests_on = 0;
	return rerr_add(e, ", %s: try again later", why);
}

int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		out_of_memory();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int fs_read(const char *path, size_t max, char **buf, size_t *len, struct rerr *e)
{
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	*buf = NULL;
	if (len)
		*len = 0;
	/* Without blocking: a FIFO put in the file's place after a caller's lstat would
	 * wait for a writer for ever; it is refused below, not a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		return rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rerr_set(e, RX_IO, "%s: not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return rerr_set(e, RX_DATA, "%s: larger than %zu bytes", path, max);
	}
	p = xcalloc(1, (size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(p);
		return rerr_set(e, RX_IO, "%s: short read", path);
	}
	p[got] = '\0';
	*buf = p;
	if (len)
		*len = got;
	return 0;
}

/* Deepest folder first: in a sharded tree the parents nearly always exist, so this
 * is one mkdir where walking down from the root would be one per level. */
int fs_mkdirs(const char *path, struct rerr *e)
{
	char *p, *slash;
	int rc = 0;

	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
	p = xstrdup(path);
	slash = strrchr(p, '/');
	while (slash && slash > p && slash[-1] == '/')
		slash--;
	if (slash == NULL || slash == p) {
		rc = rerr_set(e, RX_IO, "%s: %s", path, strerror(ENOENT));
	} else {
		*slash = '\0';
		rc = fs_mkdirs(p, e);
		if (rc == 0 && mkdir(path, 0755) < 0 && errno != EEXIST)
			rc = rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
	}
	free(p);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_fsync_dir(const char *dir, struct rerr *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0)
		rc = rerr_set(e, RX_IO, "%s: fsync: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int fs_write_atomic(const char *path, const void *buf, size_t len, int sync, struct rerr *e)
{
	return fs_write_atomic_via(NULL, path, buf, len, sync, e);
}

/* Creates the folder path is in. */
static int mkdir_parent(const char *path, struct rerr *e)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash != NULL) {
		*slash = '\0';
		rc = fs_mkdirs(dir, e);
	}
	free(dir);
	return rc;
}

/* A template for path's temp file: in tmpdir, or beside path. */
static char *temp_template(const char *tmpdir, const char *path)
{
	return tmpdir ? xasprintf("%s/%ld.XXXXXX", tmpdir, (long)getpid()) : xasprintf("%s.tmpXXXXXX", path);
}

/* Makes a new temp file for path under a name no one can guess (mkstemp's, made anew,
 * never through a link): a writer may plant links or files in spool/tmp, and a name
 * of the pid and a count was taken before it, or followed to another file. Readable
 * as the umask lets, as any file the home writes. */
static int temp_open(const char *tmpdir, const char *path, char **tmp, struct rerr *e)
{
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	*tmp = temp_template(tmpdir, path);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdir_parent(*tmp, e) == 0) {
		free(*tmp);
		*tmp = temp_template(tmpdir, path);
		fd = mkostemp(*tmp, O_CLOEXEC);
	}
	if (fd >= 0 && fchmod(fd, 0644 & ~mask) < 0) {
		close(fd);
		unlink(*tmp);
		fd = -1;
	}
	return fd;
}

char *fs_write_temp(const char *tmpdir, const char *path, const void *buf, size_t len, int sync,
		    struct rerr *e)
{
	char *tmp;
	int fd = temp_open(tmpdir, path, &tmp, e);

	if (fd < 0) {
		rerr_set(e, RX_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	int bad = write_all(fd, buf, len) < 0 || (sync && fsync(fd) < 0);
	if (bad)
		rerr_set(e, RX_IO, "%s: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !bad)
		bad = rerr_set(e, RX_IO, "%s: %s", tmp, strerror(errno));
	if (!bad)
		return tmp;
	unlink(tmp);
fail:
	free(tmp);
	return NULL;
}

int fs_rename_into(const char *tmp, const char *path, struct rerr *e)
{
	/* With the temp file elsewhere, path's folder may not exist yet. */
	if (rename(tmp, path) < 0 &&
	    (errno != ENOENT || mkdir_parent(path, e) < 0 || rename(tmp, path) < 0)) {
		rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int fs_write_atomic_via(const char *tmpdir, const char *path, const void *buf, size_t len,
			int sync, struct rerr *e)
{
	char *tmp = fs_write_temp(tmpdir, path, buf, len, sync, e);
	int rc = tmp ? fs_rename_into(tmp, path, e) : -1;

	free(tmp);
	return rc;
}

int fs_unlink(const char *path, struct rerr *e)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
	return 0;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_remove_tree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT ? -1 : 0;
}

DIR *fs_opendir(const char *path)
{
	DIR *d = opendir(path);

	if (d == NULL && errno == ENOMEM) /* its buffer: memory, as any allocation */
		out_of_memory();
	return d;
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !is_alnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

int valid_id(const char *s, const char *prefix)
{
	size_t i;

	if (prefix != NULL) {
		size_t p = strlen(prefix);
		if (strncmp(s, prefix, p) != 0 || s[p] != '-')
			return 0;
	}
	for (i = 0; i < 3; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	if (s[3] != '-')
		return 0;
	for (i = 4; i < 20; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[20] == '\0';
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int valid_date(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

void date_from_days(long days, int *y, int *m, int *d)
{
	/* Howard Hinnant's civil_from_days: eras of 400 years, years from March. */
	long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void date_format(char out[11], long days)
{
	int y, m, d;

	date_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

long date_days(const char *s)
{
	/* Days from civil, after Howard Hinnant's algorithm. */
	long y = atol(s), m = atol(s + 5), d = atol(s + 8);
	y -= m <= 2;
	long era = y / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int parse_money(const char *s, long long *out)
{
	long long v = 0;

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v > (LIMIT_WHOLE_MAX - (*s - '0')) / 10)
			return 0; /* past the largest: stop before v can overflow */
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 1;
}

int utf8_char_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p < 0x80)
		return 1;
	int len = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
	if (len == 0 || (len == 2 && *p < 0xc2))
		return 0;
	for (int i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* a NUL ends the string here too */
	if (len == 3 && ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] >= 0xa0)))
		return 0; /* overlong, or a surrogate */
	if (len == 4 && ((*p == 0xf0 && p[1] < 0x90) || *p > 0xf4 || (*p == 0xf4 && p[1] >= 0x90)))
		return 0; /* overlong, or past U+10FFFF */
	return len;
}

size_t utf8_char(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = u[0] < 0x80 ? 1 : u[0] >= 0xc2 && u[0] < 0xe0 ? 2 : u[0] >= 0xe0 && u[0] < 0xf0 ? 3
		: u[0] >= 0xf0 && u[0] < 0xf5 ? 4 : 0;
	uint32_t c = n == 1 ? u[0] : n == 2 ? u[0] & 0x1fu : n == 3 ? u[0] & 0x0fu : u[0] & 0x07u;

	for (size_t k = 1; k < n; k++) {
		if ((u[k] & 0xc0) != 0x80) {
			n = 0;
			break;
		}
		c = c << 6 | (u[k] & 0x3fu);
	}
	if (n == 0 || (n == 3 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff))) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return n;
}

int text_unit(const char *s, int *shown)
{
	const unsigned char *p = (const unsigned char *)s;
	int len = utf8_char_len(s);

	*shown = len > 0 && *p >= 0x20 && *p != 0x7f && !text_unseen_len(s);
	return len > 0 ? len : 1;
}

int valid_text(const char *s, const char *allowed_ctl)
{
	int len;

	for (; *s; s += len) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			if (allowed_ctl == NULL || strchr(allowed_ctl, *s) == NULL)
				return 0;
		}
		if ((len = utf8_char_len(s)) == 0)
			return 0;
	}
	return 1;
}

int text_unseen_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2; /* C1 */
	/* The controls that turn the text after them around (embeddings, overrides and
	 * isolates; the marks U+200E, U+200F and U+061C only lean a neutral character, and
	 * Hebrew or Arabic text pasted from elsewhere often holds them). */
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
		return 3; /* U+202A..U+202E */
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3; /* U+2066..U+2069 */
	return 0;
}

int text_has_unseen(const char *s)
{
	for (; *s; s++)
		if (text_unseen_len(s))
			return 1;
	return 0;
}

void shard_name(char out[3], const char *s)
{
	unsigned char h[16];

	crypto_generichash(h, sizeof h, (const unsigned char *)s, strlen(s), NULL, 0);
	snprintf(out, 3, "%02x", h[0]);
}

void shard_id(char out[6], const char *id)
{
	const char *hex = strchr(id, '-');

	hex = hex ? hex + 1 : id;
	if (strlen(hex) < 4)
		hex = "0000";
	snprintf(out, 6, "%.2s/%.2s", hex, hex + 2);
}

void crash_point(const char *step)
{
	const char *at = getenv("RENTAL_CRASH_AT");

	if (at != NULL && strcmp(at, step) == 0)
		raise(SIGKILL);
}

void today_utc(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	/* A clock before the limits were made is wrong (one reset to 1970): their day
	 * exempts only history admitted before it, which a rebuild reads from the log. */
	const char *since = strcmp(LIMIT_STAY_SINCE, LIMIT_LATE_SINCE) > 0 ? LIMIT_STAY_SINCE : LIMIT_LATE_SINCE;
	if (strcmp(out, since) < 0)
		snprintf(out, 11, "%s", since);
}

/* Items a thread takes at once: enough that two threads seldom share a folder. */
#define PAR_CHUNK 64

static void par_fail(struct par *p, const struct rerr *e)
{
	pthread_mutex_lock(&p->mu);
	if (!p->erred) {
		p->erred = 1;
		p->e = *e;
	}
	atomic_store(&p->failed, 1);
	pthread_mutex_unlock(&p->mu);
}

/* The next chunk: the caller's from the front, the helper's from the back, so that
 * the two work in different folders (two threads naming files in one folder take
 * turns at its lock, and the one waiting spins). */
static int par_claim(struct par *p, int back, size_t *from, size_t *to)
{
	int got;

	pthread_mutex_lock(&p->mu);
	got = p->lo < p->hi;
	if (got && back) {
		*to = p->hi;
		p->hi = p->hi - p->lo > PAR_CHUNK ? p->hi - PAR_CHUNK : p->lo;
		*from = p->hi;
	} else if (got) {
		*from = p->lo;
		p->lo = p->hi - p->lo > PAR_CHUNK ? p->lo + PAR_CHUNK : p->hi;
		*to = p->lo;
	}
	pthread_mutex_unlock(&p->mu);
	return got;
}

static void par_work(struct par *p, int back)
{
	size_t from, to;

	while (!atomic_load(&p->failed) && par_claim(p, back, &from, &to)) {
		for (size_t i = from; i < to; i++) {
			struct rerr e = {0};
			if (p->fn(p->ctx, i, &e) < 0) {
				par_fail(p, &e);
				return;
			}
		}
	}
}

static void *par_run(void *arg)
{
	par_work(arg, 1);
	return NULL;
}

void par_start(struct par *p, size_t n, par_fn *fn, void *ctx)
{
	memset(p, 0, sizeof *p);
	p->n = n;
	p->fn = fn;
	p->ctx = ctx;
	p->lo = 0;
	p->hi = n;
	atomic_init(&p->failed, 0);
	pthread_mutex_init(&p->mu, NULL);
	p->started = n > PAR_CHUNK && pthread_create(&p->t, NULL, par_run, p) == 0;
}

void par_stop(struct par *p)
{
	atomic_store(&p->failed, 1);
}

int par_finish(struct par *p, int help, struct rerr *e)
{
	if (help || !p->started) /* without a helper the caller does it all */
		par_work(p, 0);
	if (p->started)
		pthread_join(p->t, NULL);
	p->started = 0;
	pthread_mutex_destroy(&p->mu);
	if (p->erred && e)
		*e = p->e;
	return atomic_load(&p->failed) ? -1 : 0;
}
