/* util: errors with an exit status, files written whole, names and ids checked. */
#ifndef RENTAL_UTIL_H
#define RENTAL_UTIL_H
#include <dirent.h>
#include <stddef.h>
#include <stdarg.h>
#include <sysexits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* Exit statuses of the contract; the sysexits names where they exist. */
enum {
	RX_OK = 0,
	RX_REFUSED = 1,      /* a rule of the business said no */
	RX_USAGE = EX_USAGE, /* 64 */
	RX_DATA = EX_DATAERR, /* 65 */
	RX_SOFTWARE = EX_SOFTWARE, /* 70 */
	RX_IO = EX_IOERR,    /* 74 */
	RX_TEMP = EX_TEMPFAIL, /* 75 */
	RX_PERM = EX_NOPERM, /* 77 */
	RX_CONFIG = EX_CONFIG /* 78 */
};

/* An error a library function returns: the exit status it maps to and a message. */
struct rerr {
	int code;
	char msg[512];
	unsigned rests_on; /* a refusal's: the contexts (1 << CTX_...) whose outcomes it rests on */
};

/* Sets e (if not NULL) and returns -1, so that `return rerr_set(...)` reads well. */
int rerr_set(struct rerr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Adds text (as printf) to the end of e's message, its code kept; the text is kept
 * whole, what was there cut short if both do not fit. Returns -1. */
int rerr_add(struct rerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes a refusal (e, RX_REFUSED) a "try again later" (RX_TEMP), its message followed
 * by why it may not hold for long; returns -1. */
int rerr_later(struct rerr *e, const char *why);

/* -1, 0 or 1 as a is before, at or after b. */
int ts_cmp(const struct timespec *a, const struct timespec *b);

char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Says "PROG: out of memory" and exits 70 (RX_SOFTWARE): what every x*alloc does when
 * the memory is not there, and zlib's allocations too. */
void out_of_memory(void) __attribute__((noreturn));
/* What out_of_memory says after "out of memory, " from now on (NULL: nothing): what
 * the program has done that holds, so that whoever reads it knows. */
void out_of_memory_after(const char *done);
/* opendir, whose failure for memory (its buffer) ends the program as any allocation
 * does; NULL with errno for any other. */
DIR *fs_opendir(const char *path);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* Reads a whole file. Returns 0, 1 if it does not exist (*buf NULL), -1 on error, errno
 * then as the failed call left it (EACCES: not to be read by this user), or unchanged
 * where no call failed (too large, not a regular file). The buffer is NUL-terminated;
 * the caller frees it. Refuses files over max bytes. */
int fs_read(const char *path, size_t max, char **buf, size_t *len, struct rerr *e);
/* Replaces path by a file holding buf (temp file + rename, parents created). */
int fs_write_atomic(const char *path, const void *buf, size_t len, int sync, struct rerr *e);
/* The same, with the temp file in tmpdir (same file system), so that a writer killed
 * mid-write leaves its litter where it is found and swept, not beside the file. */
/* The two halves of fs_write_atomic_via: the whole file made under a temp name (in
 * tmpdir, or beside path), returned (caller frees; NULL on error); then renamed in. */
char *fs_write_temp(const char *tmpdir, const char *path, const void *buf, size_t len, int sync,
		    struct rerr *e);
int fs_rename_into(const char *tmp, const char *path, struct rerr *e);
int fs_write_atomic_via(const char *tmpdir, const char *path, const void *buf, size_t len,
			int sync, struct rerr *e);
int fs_mkdirs(const char *path, struct rerr *e);
int fs_unlink(const char *path, struct rerr *e);
int fs_fsync_dir(const char *dir, struct rerr *e);
int fs_exists(const char *path);
/* Removes path and everything under it (rm -rf); 0 also when it is not there. */
int fs_remove_tree(const char *path);

/* A car or key name: [A-Za-z0-9][A-Za-z0-9._-]{0,31}, never "." or "..". */
int valid_name(const char *s);
/* An id: PREFIX-<16 lowercase hex>; prefix NULL accepts any [a-z]{3}. */
int valid_id(const char *s, const char *prefix);
/* A date YYYY-MM-DD that exists in the calendar. */
int valid_date(const char *s);
/* Days since 1970-01-01 of a valid date. */
long date_days(const char *s);
/* The calendar date of a day number, and it as YYYY-MM-DD. */
void date_from_days(long days, int *y, int *m, int *d);
void date_format(char out[11], long days);
/* A whole number written in decimal digits alone (any number of them), at most
 * LIMIT_WHOLE_MAX (2^53 - 1); stores it in *out. Never overflows. */
int parse_money(const char *s, long long *out);
/* The length in bytes of the UTF-8 character at s (1 to 4; an ASCII byte, a control
 * character too, is 1), or 0 if the bytes there are not one. */
int utf8_char_len(const char *s);
/* One UTF-8 character of s (not empty): its length in bytes, and *cp. A byte that
 * starts no valid character is a character of its own, U+FFFD. */
size_t utf8_char(const char *s, uint32_t *cp);
/* The character at s as a terminal takes it: its length in bytes (a byte that is no
 * UTF-8 is one of its own), and whether it is text to show as it is (*shown): not a
 * control character (C0, DEL, C1) or a bidirectional one (text_unseen_len), which a
 * terminal acts on, nor a byte that is no character. Messages escape the others, a
 * .reason has ? for each of their bytes. */
int text_unit(const char *s, int *shown);
/* Valid UTF-8 with no control characters other than those allowed (e.g. "\n"). */
int valid_text(const char *s, const char *allowed_ctl);
/* Whether s (valid UTF-8) holds a character a terminal acts on unseen (text_unseen_len):
 * valid_text lets them through, as a history may hold them (tables show them escaped);
 * what a user types now has no use for one. */
int text_has_unseen(const char *s);
/* The length of the character s starts with if it acts on a terminal unseen: a C1
 * control, or a bidirectional control that turns the text after it around; else 0. */
int text_unseen_len(const char *s);
/* Two hex characters of a hash of s: the shard folder of a name. */
void shard_name(char out[3], const char *s);
/* Shard path "ab/cd" of an id from its hex part. */
void shard_id(char out[6], const char *id);
/* For the crash tests: if $RENTAL_CRASH_AT names this step, die by SIGKILL here. */
void crash_point(const char *step);
/* Today's date (UTC) as YYYY-MM-DD: the clock's, never before the day the limits of
 * limit.h were made (LIMIT_STAY_SINCE, LIMIT_LATE_SINCE). */
void today_utc(char out[11]);
/* A loop over items 0..n-1 on two cores: the calling thread takes chunks of items
 * from the front, one helper from the back, so that each works on a run of
 * neighbours (a batch's files are sorted by path: a chunk is mostly one folder) and
 * the two meet in one folder only once. par_start starts the helper; the caller may
 * do other work, then par_finish joins in (help) or only waits, and returns the
 * first error. After an item fails no new chunk is taken. fn must be safe to call
 * from two threads for different items. */
typedef int par_fn(void *ctx, size_t i, struct rerr *e);
struct par {
	size_t n;
	par_fn *fn;
	void *ctx;
	size_t lo, hi; /* the items no one has taken, under mu */
	atomic_int failed;
	pthread_mutex_t mu;
	int erred;
	struct rerr e; /* the first error */
	pthread_t t;
	int started;
};
void par_start(struct par *p, size_t n, par_fn *fn, void *ctx);
/* Stops the helper from taking new chunks (the caller's work failed). */
void par_stop(struct par *p);
int par_finish(struct par *p, int help, struct rerr *e);
#endif
