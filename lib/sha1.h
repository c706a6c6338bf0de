/* sha1: SHA-1 (FIPS 180-4) in plain C, for git's object ids and pack trailers: a
 * command that reads a few records pays no crypto library's start-up for it. */
#ifndef RENTAL_SHA1_H
#define RENTAL_SHA1_H
#include <stddef.h>
#include <stdint.h>

struct sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t n);
void sha1_final(struct sha1 *s, unsigned char out[20]);
#endif
