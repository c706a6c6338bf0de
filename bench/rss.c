/* rss [--cpu] CMD [ARG...]: runs CMD and prints its peak resident set size in KiB
 * (from wait4's rusage), so the bench needs no /usr/bin/time; with --cpu, then the
 * CPU time it used in microseconds, user and system. Exits with CMD's status. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long long usec(struct timeval t)
{
	return (long long)t.tv_sec * 1000000 + t.tv_usec;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	int status, cpu = argc > 1 && strcmp(argv[1], "--cpu") == 0;
	pid_t pid;

	argv += cpu;
	argc -= cpu;
	if (argc < 2) {
		fprintf(stderr, "usage: rss [--cpu] CMD [ARG...]\n");
		return 64;
	}
	pid = fork();
	if (pid < 0) {
		perror("rss: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("rss: wait4");
		return 71;
	}
	if (cpu)
		printf("%ld %lld %lld\n", ru.ru_maxrss, usec(ru.ru_utime), usec(ru.ru_stime));
	else
		printf("%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
