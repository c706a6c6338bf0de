/* newfiles DIR N: nanoseconds to make one new small file the way the work tree gets
 * them (temp file, rename into a sharded folder), without fsync: the file system's
 * own price of one state file, which the dispatcher pays several times an event. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 2000;
	char tmp[4096], dst[4096], dir[4096];
	struct timespec a, b;

	if (argc < 2)
		return 64;
	for (int i = 0; i < 256; i++) {
		snprintf(dir, sizeof dir, "%s/%02x", argv[1], i);
		mkdir(dir, 0755);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		snprintf(tmp, sizeof tmp, "%s/%02lx/.tmp%ld", argv[1], i % 256, i);
		snprintf(dst, sizeof dst, "%s/%02lx/f%ld.yaml", argv[1], i % 256, i);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, "status: RESERVED\nseq: 12\n", 25) != 25 || close(fd) < 0 ||
		    rename(tmp, dst) < 0)
			return 74;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
