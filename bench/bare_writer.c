/* bare_writer DIR: the floor a writing command is measured against: create a
 * 300-byte file in DIR/tmp, fsync it, rename it into DIR/new, fsync DIR/new. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char tmp[4096], dst[4096], buf[300];
	struct timespec ts;
	int fd, dfd;

	if (argc != 2)
		return 64;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof tmp, "%s/tmp/%lld%09ld.%d", argv[1], (long long)ts.tv_sec, ts.tv_nsec, getpid());
	snprintf(dst, sizeof dst, "%s/new/%lld%09ld.%d", argv[1], (long long)ts.tv_sec, ts.tv_nsec, getpid());
	memset(buf, 'x', sizeof buf);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf || fsync(fd) < 0 || close(fd) < 0)
		return 74;
	if (rename(tmp, dst) < 0)
		return 74;
	snprintf(tmp, sizeof tmp, "%s/new", argv[1]);
	dfd = open(tmp, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fsync(dfd) < 0)
		return 74;
	close(dfd);
	return 0;
}
