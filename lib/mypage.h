/* mypage: the read model of each customer's reservations, kept by the dispatcher. */
#ifndef RENTAL_MYPAGE_H
#define RENTAL_MYPAGE_H
#include "context.h"

/* "mypage/customers/xx/NAME": the folder of one customer's rows. */
void mypage_dir(char *out, size_t size, const char *customer);
#endif
