/* fuzz_config: libFuzzer target for the settings file reader (cfg_load).
 *
 * The input is written to one file in /dev/shm (else $TMPDIR, else /tmp), created once
 * per process and rewritten in place for each input; cfg_load reads it by its path.
 * (A memfd cannot be used: /proc/self/fd/N is a symlink and fs_read opens with
 * O_NOFOLLOW.) Properties, abort() when broken:
 *  - cfg_load returns 0, or -1 with e.code == RX_CONFIG (78) and a message that starts
 *    with the path followed by ':' ("PATH:LINE: what is wrong");
 *  - on success the settings are sane: NUL-terminated text, counts in 0..10^9,
 *    every context enabled 0 or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"

static char path[256];
static int fd = -1;

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

static void hexdump(const void *p, size_t n)
{
	const unsigned char *b = p;

	fprintf(stderr, "input (%zu bytes): ", n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", b[i]);
	fputc('\n', stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/fuzz_config.%ld.yaml", dir, (long)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "fuzz_config: %s: %s\n", path, strerror(errno));
		abort();
	}
	atexit(cleanup);
	return 0;
}

static void put(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(fd, 0) < 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fuzz_config: %s: write: %s\n", path, strerror(errno));
			abort();
		}
		done += (size_t)n;
	}
}

static int text_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c;
	struct rerr e;
	size_t plen = strlen(path);
	int rc;

	put(data, size);
	memset(&e, 0, sizeof e);
	e.code = -12345;
	rc = cfg_load(&c, path, NULL, &e);
	if (rc == 0) {
		int ok = text_ok(c.country, sizeof c.country) && text_ok(c.region, sizeof c.region) &&
			 text_ok(c.currency, sizeof c.currency);
		for (int i = 0; i < CTX_COUNT; i++)
			ok = ok && (c.enabled[i] == 0 || c.enabled[i] == 1);
		ok = ok && c.max_pending >= 0 && c.max_pending <= 1000000000 &&
		     c.consecutive_errors >= 0 && c.consecutive_errors <= 1000000000 &&
		     c.open_seconds >= 0 && c.open_seconds <= 1000000000;
		if (!ok) {
			fprintf(stderr, "fuzz_config: PROPERTY BROKEN: accepted settings out of range\n");
			hexdump(data, size);
			abort();
		}
		return 0;
	}
	if (rc != -1 || e.code != RX_CONFIG || memchr(e.msg, '\0', sizeof e.msg) == NULL ||
	    strncmp(e.msg, path, plen) != 0 || e.msg[plen] != ':') {
		fprintf(stderr, "fuzz_config: PROPERTY BROKEN: cfg_load returned %d, code %d, "
			"message '%.*s' (expected -1, code %d, message starting '%s:')\n",
			rc, e.code, (int)sizeof e.msg, e.msg, RX_CONFIG, path);
		hexdump(data, size);
		abort();
	}
	return 0;
}
