/* timed [-n N] -o FILE CMD [ARG...]: runs CMD N times (1), one after the other, and
 * appends a line a run to FILE: its wall time in ns, its peak resident set in KiB,
 * its user and system CPU time in us (wait4's rusage). A timer in one process, so
 * that a figure of a short command holds no shell's fork of `date`. Stops at the
 * first run that fails, with its status. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long usec(struct timeval t)
{
	return (long long)t.tv_sec * 1000000 + t.tv_usec;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* One run of argv: 0 and its line in out, or the status it failed with. */
static int run(char **argv, FILE *out)
{
	struct rusage ru;
	long long t0 = now_ns(), t1;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("timed: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("timed: wait4");
		return 71;
	}
	t1 = now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "timed: %s: exit %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	fprintf(out, "%lld %ld %lld %lld\n", t1 - t0, ru.ru_maxrss, usec(ru.ru_utime), usec(ru.ru_stime));
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	long n = 1;
	FILE *out;
	int c, rc = 0;

	while ((c = getopt(argc, argv, "+n:o:")) != -1) {
		if (c == 'n')
			n = atol(optarg);
		else if (c == 'o')
			file = optarg;
		else
			return 64;
	}
	if (optind >= argc || file == NULL || n < 1) {
		fprintf(stderr, "usage: timed [-n N] -o FILE CMD [ARG...]\n");
		return 64;
	}
	if ((out = fopen(file, "a")) == NULL) {
		perror(file);
		return 73;
	}
	for (long i = 0; i < n && rc == 0; i++)
		rc = run(argv + optind, out);
	if (fclose(out) != 0) {
		perror(file);
		return 74;
	}
	return rc;
}
