/* spool: the maildir-style queue of event files: tmp/ -> new/ -> (applied | bad/). */
#ifndef RENTAL_SPOOL_H
#define RENTAL_SPOOL_H
#include <stddef.h>
#include <time.h>
#include "util.h"

#define SPOOL_TMP_MAX_AGE 3600 /* seconds before a file left in tmp/ is removed */
#define SPOOL_PROBE ".rental-probe" /* the start of the names of --check's probe in tmp/ */

struct spool_list {
	size_t n;
	char **names;
	struct timespec *at; /* when each arrived in new/ (its ctime) */
};

/* Writes buf as a new event file: create in tmp/, fsync, rename into new/, fsync new/. */
int spool_write(const char *spool, const char *id, const char *buf, size_t len, struct rerr *e);
/* The names in new/, in the order they arrived there (the time each was renamed in,
 * then the name), at most max, and those that arrived in the tick of the last. */
int spool_list_new(struct spool_list *l, const char *spool, size_t max, struct rerr *e);
void spool_list_free(struct spool_list *l);
/* The id part of a spool file name "<ns>.<id>", or NULL. Points into name. */
const char *spool_name_id(const char *name);
/* Moves new/NAME to bad/NAME and writes bad/NAME.reason: 0, 1 if new/NAME is gone
 * (its writer took it back), -1 on a fault. 2 and e saying so for a folder this user
 * may not move (another's: moving a folder needs the right to write it), set aside in
 * new/ as .stuck-NS-N, which no listing takes. */
int spool_quarantine(const char *spool, const char *name, const char *reason, struct rerr *e);
int spool_remove(const char *spool, const char *name, struct rerr *e);
/* How many files in new/ hold ids with this prefix ("pay"). */
size_t spool_count_prefix(const char *spool, const char *prefix);
/* 1 if an event with the line "FIELD: VALUE" (reservation: RES, car: CAR) waits in
 * new/. */
int spool_mentions(const char *spool, const char *field, const char *value);
/* The values of FIELD (a line "FIELD: VALUE") in the events of TYPE waiting in new/,
 * in *out (each and the array the caller's to free); how many. */
size_t spool_values(const char *spool, const char *type, const char *field, char ***out);
/* 1 if an event with this id waits in new/. */
int spool_has_id(const char *spool, const char *id);
/* Removes files in tmp/ older than max_age seconds; returns how many are left. */
size_t spool_clean_tmp(const char *spool, long max_age, size_t *removed);
/* Age in seconds of the oldest file in new/ (0 if none), and how many files in bad/. */
long spool_oldest_age(const char *spool, size_t *count);
size_t spool_bad_count(const char *spool);
/* How many folders spool_quarantine set aside in new/. */
size_t spool_stuck_count(const char *spool);
#endif
