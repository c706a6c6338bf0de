/* sign: ed25519 keys and signatures (libsodium); secret keys live in guarded memory. */
#ifndef RENTAL_SIGN_H
#define RENTAL_SIGN_H
#include <stddef.h>
#include <sodium.h>
#include "util.h"

#define SIG_PK_B64 45   /* base64 of 32 bytes, with padding, plus NUL */
#define SIG_B64 89      /* base64 of 64 bytes, with padding, plus NUL */

struct seckey {
	unsigned char *sk; /* crypto_sign_SECRETKEYBYTES in sodium_malloc memory */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

int sig_init(struct rerr *e);
/* Makes a new key pair; free with seckey_free. */
int seckey_generate(struct seckey *k, struct rerr *e);
/* Loads keys/NAME.key; refuses a file that group or others can read (RX_PERM). */
int seckey_load(struct seckey *k, const char *path, struct rerr *e);
/* Creates path (O_EXCL, mode 0600) holding k. */
int seckey_save(const struct seckey *k, const char *path, struct rerr *e);
void seckey_free(struct seckey *k);

void sig_pk_b64(char out[SIG_PK_B64], const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
/* Decodes a public key; 0 on success, -1 if it is not base64 of 32 bytes. */
int sig_pk_decode(unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *b64);
void sig_sign(char out[SIG_B64], const struct seckey *k, const void *msg, size_t len);
/* 1 if b64 is a valid signature of msg by pk, else 0. */
int sig_verify(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], const void *msg, size_t len,
	       const char *b64);
#endif
