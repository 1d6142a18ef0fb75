// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the test initramfs: mount what the KVM selftests need, run the
 * tests listed in /tests.list one after the other, each under a timeout,
 * report them as TAP on the console and power the machine off.
 *
 * /tests.list has one test a line: "<timeout seconds> <name> <argv...>",
 * where <name> is the path of the binary below /tests. The output of each
 * test is passed through with a "# " prefix, so that its own (nested) TAP
 * cannot be mistaken for ours. Our verdict comes from the exit status, as
 * in tools/testing/selftests/kselftest/runner.sh: 0 pass, 4 (KSFT_SKIP)
 * skip, anything else, a signal or the timeout, fail.
 *
 * Built statically by testbed/initramfs.py; it needs nothing else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define MAX_TESTS	256
#define MAX_ARGS	32
#define LINE_MAX_LEN	1024

struct test {
	int timeout;
	char *name;
	char *argv[MAX_ARGS + 1];
};

static struct test tests[MAX_TESTS];
static int nr_tests;

/* One write() a line keeps our lines whole between kernel messages. */
static void out(const char *fmt, ...)
{
	char buf[LINE_MAX_LEN + 64];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	if (write(1, buf, len) < 0)
		return;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void do_mount(const char *src, const char *dir, const char *type,
		     const char *opts)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, opts) && errno != EBUSY)
		out("# init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

static void mount_all(void)
{
	do_mount("devtmpfs", "/dev", "devtmpfs", NULL);
	do_mount("proc", "/proc", "proc", NULL);
	do_mount("sysfs", "/sys", "sysfs", NULL);
	do_mount("debugfs", "/sys/kernel/debug", "debugfs", NULL);
	do_mount("tracefs", "/sys/kernel/tracing", "tracefs", NULL);
	do_mount("tmpfs", "/tmp", "tmpfs", NULL);
	do_mount("tmpfs", "/dev/shm", "tmpfs", NULL);
	do_mount("hugetlbfs", "/dev/hugepages", "hugetlbfs", NULL);
}

static void read_tests(void)
{
	static char buf[64 * 1024];
	char *line, *save;
	ssize_t len;
	int fd;

	fd = open("/tests.list", O_RDONLY);
	if (fd < 0) {
		out("# init: /tests.list: %s\n", strerror(errno));
		return;
	}
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';

	for (line = strtok_r(buf, "\n", &save); line && nr_tests < MAX_TESTS;
	     line = strtok_r(NULL, "\n", &save)) {
		struct test *t = &tests[nr_tests];
		char *word, *wsave;
		int argc = 0;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		t->timeout = atoi(strtok_r(line, " ", &wsave));
		t->name = strtok_r(NULL, " ", &wsave);
		if (!t->name || t->timeout <= 0)
			continue;
		t->argv[argc++] = t->name;
		while ((word = strtok_r(NULL, " ", &wsave)) && argc < MAX_ARGS)
			t->argv[argc++] = word;
		t->argv[argc] = NULL;
		nr_tests++;
	}
}

/*
 * Pass the test's output through, line by line, and keep the last line that
 * says why it skipped. Returns 0 at end of file, -1 when the deadline passed.
 */
static int pump(int fd, double deadline, char *why, size_t why_len)
{
	char line[LINE_MAX_LEN];
	size_t used = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - now();
		ssize_t n;
		char c;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		n = read(fd, &c, 1);
		if (n <= 0) {
			if (used) {
				line[used] = '\0';
				out("# %s\n", line);
			}
			return 0;
		}
		if (c != '\n' && used < sizeof(line) - 1) {
			line[used++] = c;
			continue;
		}
		line[used] = '\0';
		out("# %s\n", line);
		if (strcasestr(line, "skip"))
			snprintf(why, why_len, "%s", line);
		used = 0;
	}
}

static void run_test(int nr, struct test *t)
{
	char why[LINE_MAX_LEN] = "";
	char path[LINE_MAX_LEN];
	int pipefd[2], status = 0;
	double start = now();
	int timed_out;
	pid_t pid;

	out("# running %s (timeout %d s)\n", t->name, t->timeout);
	if (pipe(pipefd)) {
		out("not ok %d %s # init: pipe: %s\n", nr, t->name, strerror(errno));
		return;
	}

	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		/* The selftests read their own ELF through argv[0]. */
		snprintf(path, sizeof(path), "/tests/%s", t->name);
		t->argv[0] = path;
		execv(path, t->argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);

	timed_out = pump(pipefd[0], start + t->timeout, why, sizeof(why)) < 0;
	if (timed_out)
		kill(-pid, SIGKILL);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	/* Anything the test left behind in its process group goes too. */
	kill(-pid, SIGKILL);

	out("# %s: %.2f s\n", t->name, now() - start);
	if (timed_out)
		out("not ok %d %s # TIMEOUT after %d s\n", nr, t->name, t->timeout);
	else if (WIFSIGNALED(status))
		out("not ok %d %s # killed by signal %d\n", nr, t->name,
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) == 0)
		out("ok %d %s\n", nr, t->name);
	else if (WEXITSTATUS(status) == KSFT_SKIP)
		out("ok %d %s # SKIP %s\n", nr, t->name,
		    why[0] ? why : "exit code 4 (KSFT_SKIP), no reason printed");
	else
		out("not ok %d %s # exit code %d\n", nr, t->name,
		    WEXITSTATUS(status));
}

/*
 * Debug kernels (CONFIG_DEBUG_KMEMLEAK): look for leaks once the tests are
 * done, and print what kmemleak found, as the console shows other reports.
 */
static void kmemleak_report(void)
{
	const char *path = "/sys/kernel/debug/kmemleak";
	char line[256];
	FILE *f;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	/*
	 * kmemleak reports no object younger than 5 s (MSECS_MIN_AGE): give
	 * the last test's objects the time to age.
	 */
	sleep(6);
	if (write(fd, "scan", 4) != 4)
		out("# kmemleak: scan failed: %s\n", strerror(errno));
	close(fd);

	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		out("# kmemleak: %s", line);
	fclose(f);
	out("# kmemleak: scan done\n");
}

static void print_taint(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = '\0';
		close(fd);
	}
	buf[strcspn(buf, "\n")] = '\0';
	out("# kernel tainted: %s\n", buf[0] ? buf : "unknown");
}

int main(void)
{
	int i;

	mount_all();
	read_tests();
	if (chdir("/tmp"))
		out("# init: chdir /tmp: %s\n", strerror(errno));

	out("TAP version 13\n");
	out("1..%d\n", nr_tests);
	for (i = 0; i < nr_tests; i++)
		run_test(i + 1, &tests[i]);
	kmemleak_report();
	print_taint();
	out("# testbed: done\n");

	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
