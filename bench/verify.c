/* verify N: nanoseconds of one ed25519 verification of a 300-byte message on one
 * core (libsodium), the floor the dispatcher's cost per event is measured against. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char msg[300], sig[crypto_sign_BYTES];
	long n = argc > 1 ? atol(argv[1]) : 20000;
	struct timespec a, b;
	int bad = 0;

	if (sodium_init() < 0)
		return 70;
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof msg);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		bad |= crypto_sign_verify_detached(sig, msg, sizeof msg, pk);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (bad)
		return 70;
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
