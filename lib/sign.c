/* sign: key files, signing and verification. Key file: one line, base64 of the
 * 32-byte ed25519 seed; the key pair is derived from it when loaded. */
#include "sign.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sig_init(struct rerr *e)
{
	if (sodium_init() < 0)
		return rerr_set(e, RX_SOFTWARE, "libsodium: cannot initialise");
	return 0;
}

static int seckey_alloc(struct seckey *k, struct rerr *e)
{
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (k->sk == NULL)
		return rerr_set(e, RX_SOFTWARE, "sodium_malloc: out of memory");
	return 0;
}

int seckey_generate(struct seckey *k, struct rerr *e)
{
	if (sig_init(e) < 0 || seckey_alloc(k, e) < 0)
		return -1;
	crypto_sign_keypair(k->pk, k->sk);
	return 0;
}

void seckey_free(struct seckey *k)
{
	if (k->sk != NULL)
		sodium_free(k->sk); /* sodium_free wipes the memory first */
	k->sk = NULL;
}

/* The key's guarded memory holds, past the secret key, the file's line and the seed
 * while they are decoded, wiped after: one sodium_malloc instead of three (each is an
 * mmap, three mprotects and an mlock, and as many again to free it: 28 us here, a
 * twentieth of what a writing command costs beyond its durable write). */
#define LOAD_LINE 128
#define LOAD_BYTES (crypto_sign_SECRETKEYBYTES + LOAD_LINE + crypto_sign_SEEDBYTES)

int seckey_load(struct seckey *k, const char *path, struct rerr *e)
{
	unsigned char *mem = NULL, *seed;
	char *line;
	size_t seedlen = 0;
	struct stat st;
	int fd, rc = -1;
	ssize_t n;

	k->sk = NULL;
	if (sig_init(e) < 0)
		return -1;
	/* Without blocking: a FIFO in the key's place would wait for a writer for ever; it
	 * is refused below, not a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return rerr_set(e, RX_PERM, "%s: no key (%s)", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rerr_set(e, RX_PERM, "%s: not a key file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return rerr_set(e, RX_PERM, "%s: readable by others (mode %03o); chmod 600 it",
				path, (unsigned)(st.st_mode & 0777));
	}
	mem = sodium_malloc(LOAD_BYTES);
	if (mem == NULL) {
		rerr_set(e, RX_SOFTWARE, "sodium_malloc: out of memory");
		goto out;
	}
	line = (char *)mem + crypto_sign_SECRETKEYBYTES;
	seed = mem + crypto_sign_SECRETKEYBYTES + LOAD_LINE;
	n = read(fd, line, LOAD_LINE - 1);
	if (n < 0) {
		rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (sodium_base642bin(seed, crypto_sign_SEEDBYTES, line, strlen(line), NULL, &seedlen,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    seedlen != crypto_sign_SEEDBYTES) {
		rerr_set(e, RX_PERM, "%s: not a key file", path);
		goto out;
	}
	crypto_sign_seed_keypair(k->pk, mem, seed);
	sodium_memzero(line, LOAD_LINE + crypto_sign_SEEDBYTES);
	k->sk = mem; /* seckey_free frees it all */
	mem = NULL;
	rc = 0;
out:
	close(fd);
	if (mem)
		sodium_free(mem); /* wipes it first */
	return rc;
}

int seckey_save(const struct seckey *k, const char *path, struct rerr *e)
{
	char *line = sodium_malloc(128);
	unsigned char seed[crypto_sign_SEEDBYTES];
	int fd, rc = -1;
	size_t n;

	if (line == NULL)
		return rerr_set(e, RX_SOFTWARE, "sodium_malloc: out of memory");
	crypto_sign_ed25519_sk_to_seed(seed, k->sk);
	sodium_bin2base64(line, 128, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(seed, sizeof seed);
	n = strlen(line);
	line[n++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rerr_set(e, errno == EEXIST ? RX_REFUSED : RX_IO, "%s: %s", path,
			 errno == EEXIST ? "key exists already" : strerror(errno));
		goto out;
	}
	if (write(fd, line, n) != (ssize_t)n || fsync(fd) < 0) {
		rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	/* The key's name must survive a power cut as its bytes do: the folder too. */
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = fs_fsync_dir(slash ? dir : ".", e);
	free(dir);
out:
	sodium_free(line);
	return rc;
}

void sig_pk_b64(char out[SIG_PK_B64], const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	sodium_bin2base64(out, SIG_PK_B64, pk, crypto_sign_PUBLICKEYBYTES,
			  sodium_base64_VARIANT_ORIGINAL);
}

int sig_pk_decode(unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *b64)
{
	size_t n = 0;
	const char *end = NULL;

	if (sodium_base642bin(pk, crypto_sign_PUBLICKEYBYTES, b64, strlen(b64), NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != crypto_sign_PUBLICKEYBYTES || *end != '\0')
		return -1;
	return 0;
}

void sig_sign(char out[SIG_B64], const struct seckey *k, const void *msg, size_t len)
{
	unsigned char sig[crypto_sign_BYTES];

	crypto_sign_detached(sig, NULL, msg, len, k->sk);
	sodium_bin2base64(out, SIG_B64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
}

int sig_verify(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], const void *msg, size_t len,
	       const char *b64)
{
	unsigned char sig[crypto_sign_BYTES];
	size_t n = 0;
	const char *end = NULL;

	if (sodium_base642bin(sig, sizeof sig, b64, strlen(b64), NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != sizeof sig || *end != '\0')
		return 0;
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}
