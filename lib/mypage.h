/* mypage: the read model of each customer's reservations, kept by the dispatcher. */
#ifndef RENTAL_MYPAGE_H
#define RENTAL_MYPAGE_H
#include "context.h"

/* The rows of a customer's page, in the order people read them. */
int mypage_rows(struct store *s, const char *customer, struct kv **rows, size_t *n, struct rerr *e);
#endif
