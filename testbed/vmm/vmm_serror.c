// SPDX-License-Identifier: GPL-2.0
/*
 * The vmm suite's driver: QEMU's serror-policy end to end, on an arm64 host
 * of the testbed (a target's kernel, under the x86 QEMU with the error
 * injector), with a real VMM and a real guest kernel.
 *
 * Each case starts QEMU (the static KVM-only build, /vmm/qemu-system-aarch64)
 * with -accel kvm,serror-policy=..., boots the guest (/vmm/Image with
 * /vmm/guest.cpio.gz, whose /init is guest_init.c), waits until the guest
 * says that it is up, and arms the outer machine's error injector from here,
 * the host: SERROR_IN_GUEST with CPU = all ones, so that a physical SError
 * with the case's syndrome is raised when a PE next enters a guest, i.e.
 * while our guest runs (or SERROR_AT_GUEST_EXIT, when it next leaves it:
 * KVM finds that one pending on the way out). The guest never touches the
 * device. Then it checks
 * what the guest's console, QEMU's standard error (the trace event) and QMP
 * (the ARM_SERROR event, the run state) show.
 *
 * The guest's console is QEMU's standard output (-nographic), QMP a pair of
 * FIFOs (-chardev pipe): the host kernel has no sockets. Their lines are
 * passed through as "# guest: ", "# qemu: " and "# qmp: ".
 *
 * Which cases run follows what the caller says of the kernel (-c): the
 * policies where it has KVM_CAP_ARM_SERROR_TO_USER, "no-capability" where
 * it has not. A case it asks for and that cannot run (the kernel is not
 * what -c says, no error injector) fails.
 *
 * Output is TAP, as the KVM selftests print it; the exit status is 0 when
 * every case asked for ran and passed, else 1.
 *
 * Usage: vmm_serror [-c] [-d DIR] [-t SECONDS]
 *   -c  the kernel has KVM_CAP_ARM_SERROR_TO_USER (without: it has not)
 *   -d  where qemu-system-aarch64, Image and guest.cpio.gz are (/vmm)
 *   -t  how long to wait for each thing a case expects (300)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

/* QEMU's arm-error-injector (docs/specs/arm-error-injector.rst) */
#define ERRINJ_COMPATIBLE	"qemu,arm-error-injector"
#define ERRINJ_ID		0x00
#define ERRINJ_TARGET		0x08
#define ERRINJ_SERROR_IN_GUEST	0x20
#define ERRINJ_COUNT		0x30
#define ERRINJ_SERROR_AT_GUEST_EXIT	0x38
#define ERRINJ_DISARM		0x40
#define ERRINJ_ID_VALUE		0x53457272
#define ERRINJ_TARGET_ANY	(1ULL << 63)

/* SError syndromes: ISS = AET | DFSC (asynchronous SError, 0x11) */
#define ISS_UEU			0x411
#define ISS_UEO			0x811
#define ISS_UER			0xc11
#define SERROR_ESR(iss)		((0x2fULL << 26) | (1ULL << 25) | (iss))
/* KVM's own syndrome for the SErrors it reflects: IDS only */
#define KVM_DEFAULT_ESR		SERROR_ESR(1ULL << 24)

#define MARK_UP			"vmm-guest: up"
#define MARK_DONE		"vmm-guest: done"
#define QMP_FIFO		"/tmp/vmm-qmp"

static const char *dir = "/vmm";
static int wait_seconds = 300;
static volatile uint64_t *errinj;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* One of QEMU's outputs: all of it, for the checks, and the line being read. */
struct stream {
	const char *prefix;
	int fd;
	char *text;
	size_t len, cap;
	char line[1024];
	size_t line_len;
};

struct qemu {
	pid_t pid;
	int status;		/* when it exited */
	bool exited;
	int qmp_in;		/* our commands to QEMU */
	struct stream con, err, qmp;
};

static void stream_add(struct stream *s, const char *buf, size_t n)
{
	size_t i;

	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->text = realloc(s->text, s->cap);
		if (!s->text) {
			perror("realloc");
			exit(KSFT_FAIL);
		}
	}
	memcpy(s->text + s->len, buf, n);
	s->len += n;
	s->text[s->len] = '\0';

	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\r')
			continue;
		if (c != '\n' && s->line_len < sizeof(s->line) - 1) {
			s->line[s->line_len++] = c;
			continue;
		}
		s->line[s->line_len] = '\0';
		note("%s%s", s->prefix, s->line);
		s->line_len = 0;
	}
}

/* Read what QEMU printed for up to @timeout seconds; notice its exit. */
static void pump(struct qemu *q, double timeout)
{
	struct stream *streams[] = { &q->con, &q->err, &q->qmp };
	struct pollfd pfd[3];
	char buf[4096];
	int i, n;

	for (i = 0; i < 3; i++) {
		pfd[i].fd = streams[i]->fd;
		pfd[i].events = POLLIN;
	}
	n = poll(pfd, 3, (int)(timeout * 1000));
	for (i = 0; n > 0 && i < 3; i++) {
		ssize_t got;

		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = read(streams[i]->fd, buf, sizeof(buf));
		if (got > 0) {
			stream_add(streams[i], buf, got);
		} else if (got == 0 || errno != EAGAIN) {
			/* End of file: poll() ignores a negative fd. */
			close(streams[i]->fd);
			streams[i]->fd = -1;
		}
	}
	if (!q->exited && waitpid(q->pid, &q->status, WNOHANG) == q->pid)
		q->exited = true;
}

/*
 * Whether QEMU is gone: exited, its outputs read to the end, and what it
 * wrote to QMP read too.
 */
static bool gone(struct qemu *q)
{
	char buf[4096];
	ssize_t got;

	if (!q->exited || q->con.fd >= 0 || q->err.fd >= 0)
		return false;
	while ((got = read(q->qmp.fd, buf, sizeof(buf))) > 0)
		stream_add(&q->qmp, buf, got);
	return true;
}

/* Whether @s shows @what after offset @from. */
static bool has(struct stream *s, size_t from, const char *what)
{
	return s->len > from && strstr(s->text + from, what);
}

/* Wait until @s shows @what after offset @from, or QEMU is gone. */
static bool wait_for(struct qemu *q, struct stream *s, size_t from,
		     const char *what, int seconds)
{
	double deadline = now() + seconds;

	for (;;) {
		if (has(s, from, what))
			return true;
		if (now() > deadline) {
			note("timed out after %d s waiting for \"%s\"", seconds,
			     what);
			return false;
		}
		if (gone(q)) {
			if (has(s, from, what))
				return true;
			note("QEMU is gone; \"%s\" never came", what);
			return false;
		}
		pump(q, 0.2);
	}
}

/* Wait for QEMU to exit by itself; returns its wait status, or -1. */
static int wait_exit(struct qemu *q, int seconds)
{
	double deadline = now() + seconds;

	while (!gone(q)) {
		if (now() > deadline) {
			note("QEMU still running after %d s", seconds);
			return -1;
		}
		pump(q, 0.2);
	}
	return q->status;
}

static void qmp_send(struct qemu *q, const char *cmd)
{
	note("qmp> %s", cmd);
	if (write(q->qmp_in, cmd, strlen(cmd)) < 0 ||
	    write(q->qmp_in, "\n", 1) < 0)
		note("writing to QMP: %s", strerror(errno));
}

static int open_nonblock_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	return fcntl(fds[0], F_SETFL, O_NONBLOCK);
}

/*
 * Start QEMU with -accel kvm and @accel_opts (",serror-policy=..." or "").
 * Its standard output is the guest's console, its standard error its
 * messages and the trace log, QMP the FIFOs QMP_FIFO.in/.out.
 */
static bool qemu_start(struct qemu *q, const char *accel_opts)
{
	char qemu[256], image[256], initrd[256], accel[128], in[64], out[64];
	int con[2], err[2];

	memset(q, 0, sizeof(*q));
	q->con.prefix = "guest: ";
	q->err.prefix = "qemu: ";
	q->qmp.prefix = "qmp: ";
	snprintf(qemu, sizeof(qemu), "%s/qemu-system-aarch64", dir);
	snprintf(image, sizeof(image), "%s/Image", dir);
	snprintf(initrd, sizeof(initrd), "%s/guest.cpio.gz", dir);
	snprintf(accel, sizeof(accel), "kvm%s", accel_opts);
	snprintf(in, sizeof(in), "%s.in", QMP_FIFO);
	snprintf(out, sizeof(out), "%s.out", QMP_FIFO);

	unlink(in);
	unlink(out);
	if (mkfifo(in, 0600) || mkfifo(out, 0600)) {
		note("mkfifo %s: %s", QMP_FIFO, strerror(errno));
		return false;
	}
	/* O_RDWR: a FIFO opened so does not wait for the other end. */
	q->qmp_in = open(in, O_RDWR | O_CLOEXEC);
	q->qmp.fd = open(out, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (q->qmp_in < 0 || q->qmp.fd < 0 ||
	    open_nonblock_pipe(con) || open_nonblock_pipe(err)) {
		note("QMP FIFOs, pipes: %s", strerror(errno));
		return false;
	}
	q->con.fd = con[0];
	q->err.fd = err[0];

	char *argv[] = {
		qemu, "-accel", accel,
		"-M", "virt,gic-version=3", "-cpu", "host", "-smp", "1",
		"-m", "256M", "-nographic", "-nic", "none", "-no-reboot",
		"-chardev", "pipe,id=qmp,path=" QMP_FIFO,
		"-mon", "chardev=qmp,mode=control",
		"-trace", "kvm_arm_handle_serror",
		"-kernel", image, "-initrd", initrd,
		"-append", "console=ttyAMA0 panic=-1 loglevel=4",
		NULL,
	};
	char cmdline[1024] = "";
	int i;

	for (i = 0; argv[i]; i++) {
		strncat(cmdline, argv[i], sizeof(cmdline) - strlen(cmdline) - 2);
		strcat(cmdline, " ");
	}
	note("$ %s", cmdline);

	q->pid = fork();
	if (q->pid < 0) {
		note("fork: %s", strerror(errno));
		return false;
	}
	if (q->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(con[1], 1);
		dup2(err[1], 2);
		execv(qemu, argv);
		fprintf(stderr, "exec %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	close(con[1]);
	close(err[1]);
	qmp_send(q, "{\"execute\": \"qmp_capabilities\"}");
	return true;
}

static void qemu_stop(struct qemu *q)
{
	if (q->pid > 0 && !q->exited) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, &q->status, 0);
		q->exited = true;
	}
	if (q->con.fd >= 0)
		close(q->con.fd);
	if (q->err.fd >= 0)
		close(q->err.fd);
	if (q->qmp.fd >= 0)
		close(q->qmp.fd);
	if (q->qmp_in >= 0)
		close(q->qmp_in);
	free(q->con.text);
	free(q->err.text);
	free(q->qmp.text);
	memset(q, 0, sizeof(*q));
}

/*
 * The error injector's page, from /dev/mem. The host kernel made a platform
 * device of its device tree node, named after the node's translated address
 * ("c000000.error-injector" on virt's platform bus): that name gives the
 * address without translating the bus's ranges here.
 */
static const char *errinj_open(void)
{
	static char why[256];
	const char *bus = "/sys/bus/platform/devices";
	char path[512], buf[64];
	uint64_t pa = 0;
	bool found = false;
	struct dirent *de;
	void *page;
	DIR *d;
	int fd;

	d = opendir(bus);
	while (d && !found && (de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/of_node/compatible", bus,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		memset(buf, 0, sizeof(buf));
		found = fread(buf, 1, sizeof(buf) - 1, f) > 0 &&
			!strcmp(buf, ERRINJ_COMPATIBLE) &&
			sscanf(de->d_name, "%" SCNx64 ".", &pa) == 1;
		fclose(f);
	}
	if (d)
		closedir(d);
	if (!found)
		return "no error injector (QEMU -device arm-error-injector)";

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "/dev/mem: %s", strerror(errno));
		return why;
	}
	page = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, pa);
	close(fd);
	if (page == MAP_FAILED) {
		snprintf(why, sizeof(why), "mmap of the error injector: %s",
			 strerror(errno));
		return why;
	}
	errinj = page;
	if (errinj[ERRINJ_ID / 8] != ERRINJ_ID_VALUE)
		return "the error injector's ID register is wrong";
	/* Nothing armed before, by another test, fires in a case here. */
	errinj[ERRINJ_DISARM / 8] = 0;
	note("error injector at 0x%" PRIx64, pa);
	return NULL;
}

static uint64_t errinj_count(void)
{
	return errinj[ERRINJ_COUNT / 8];
}

/*
 * A physical SError with @iss on whichever PE next enters a guest
 * (SERROR_IN_GUEST) or leaves one (SERROR_AT_GUEST_EXIT).
 */
static void errinj_arm(uint64_t reg, uint64_t iss)
{
	note("arming the error injector: %s, any PE, ISS 0x%" PRIx64,
	     reg == ERRINJ_SERROR_IN_GUEST ? "SERROR_IN_GUEST" :
	     "SERROR_AT_GUEST_EXIT", iss);
	errinj[ERRINJ_TARGET / 8] = ERRINJ_TARGET_ANY;
	errinj[reg / 8] = iss;
}

/* Whether this host's KVM offers KVM_CAP_ARM_SERROR_TO_USER to a VM. */
static bool kvm_has_serror_to_user(void)
{
	int kvm, vm, ret = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return false;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		ret = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SERROR_TO_USER);
		close(vm);
	}
	close(kvm);
	return ret > 0;
}

static int failures;
static const char *current_case;

/* One line of the story `tb demo` tells: what happened, in a few words. */
static void story(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note("story: %-16s %s", current_case, buf);
}

static bool check(bool ok, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note("%s: %s", ok ? "yes" : "NO", buf);
	if (!ok)
		failures++;
	return ok;
}

/* The line of @s, after @from, that has @what; NULL if none. */
static const char *line_with(struct stream *s, size_t from, const char *what,
			     char *line, size_t len)
{
	const char *p, *start, *end;

	if (s->len <= from)
		return NULL;
	p = strstr(s->text + from, what);
	if (!p)
		return NULL;
	for (start = p; start > s->text && start[-1] != '\n'; start--)
		;
	end = strchrnul(p, '\n');
	snprintf(line, len, "%.*s", (int)(end - start), start);
	return line;
}

/*
 * How many lines of @s after @from have @what; the last of them in @line.
 * QEMU writes each line whole, and @from is where a line starts.
 */
static int count_lines(struct stream *s, size_t from, const char *what,
		       char *line, size_t len)
{
	const char *p, *end;
	int n = 0;

	for (p = s->text + from; s->len > from && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		if (memmem(p, end - p, what, strlen(what))) {
			snprintf(line, len, "%.*s", (int)(end - p), p);
			line[strcspn(line, "\r")] = '\0';
			n++;
		}
	}
	return n;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char **)a, *(const char **)b);
}

/*
 * Whether the members of the JSON object "data" in @line are exactly
 * @want (its members, '\0' separated, in any order): QEMU prints an
 * event's data flat, as "key": value separated by ", ".
 */
static bool data_is(const char *line, const char *const *want, int nr)
{
	const char *got[16], *p = strstr(line, "\"data\": {");
	char data[512], *member, *save;
	int i, n = 0;

	if (!p)
		return false;
	p += strlen("\"data\": {");
	snprintf(data, sizeof(data), "%.*s", (int)strcspn(p, "}"), p);
	for (member = strtok_r(data, ",", &save); member && n < 16;
	     member = strtok_r(NULL, ",", &save))
		got[n++] = member + strspn(member, " ");
	if (n != nr)
		return false;
	qsort(got, n, sizeof(got[0]), compare_strings);
	for (i = 0; i < n; i++)
		if (strcmp(got[i], want[i]))
			return false;
	return true;
}

/*
 * Check the ARM_SERROR event of @q after @from, member by member: vCPU 0
 * (its QOM path, virt creating it first, and its index), syndrome @esr,
 * not a nested guest's (the guest runs no hypervisor), the action
 * @action, and nothing else.
 */
static void check_event(struct qemu *q, size_t from, uint64_t esr,
			const char *action)
{
	char line[1024], s_action[64], s_esr[64];
	/* Sorted, as data_is() compares them */
	const char *want[] = { s_action, "\"cpu-index\": 0", s_esr,
			       "\"nested\": false",
			       "\"qom-path\": \"/machine/unattached/device[0]\"" };

	if (!check(wait_for(q, &q->qmp, from, "\"ARM_SERROR\"", wait_seconds),
		   "QMP event ARM_SERROR"))
		return;
	line_with(&q->qmp, from, "\"ARM_SERROR\"", line, sizeof(line));
	snprintf(s_esr, sizeof(s_esr), "\"esr\": %" PRIu64, esr);
	snprintf(s_action, sizeof(s_action), "\"action\": \"%s\"", action);
	if (check(data_is(line, want, ARRAY_SIZE(want)),
		  "its data is exactly {%s, %s, %s, %s, %s} (syndrome 0x%" PRIx64
		  ", vCPU 0, no nested guest took it, what QEMU did)",
		  want[0], want[1], want[2], want[3], want[4], esr))
		story("QEMU:   QMP event ARM_SERROR, vCPU 0, action \"%s\"", action);
}

/*
 * Once QEMU is gone: exactly one ARM_SERROR event and one trace line after
 * @qmp and @err, the trace line being exactly what KVM_EXIT_ARM_SERROR
 * with @esr and no flag gives (QEMU's "log" trace backend prints it bare).
 */
static void check_once(struct qemu *q, size_t qmp, size_t err, uint64_t esr)
{
	char line[256], want[128];
	int n;

	n = count_lines(&q->qmp, qmp, "\"ARM_SERROR\"", line, sizeof(line));
	check(n == 1, "exactly one ARM_SERROR event (%d)", n);
	snprintf(want, sizeof(want), "kvm_arm_handle_serror cpu 0 esr 0x%"
		 PRIx64 " flags 0x0", esr);
	n = count_lines(&q->err, err, "kvm_arm_handle_serror", line,
			sizeof(line));
	check(n == 1 && !strcmp(line, want),
	      "exactly one trace line, and it is \"%s\" (%d, the last \"%s\")",
	      want, n, n ? line : "");
}

/* The trace event on QEMU's standard error, after @from. */
static void check_trace(struct qemu *q, size_t from, uint64_t esr)
{
	char want[128];
	char line[256];

	snprintf(want, sizeof(want), "kvm_arm_handle_serror cpu 0 esr 0x%"
		 PRIx64 " flags 0x0", esr);
	if (check(wait_for(q, &q->err, from, want, 10), "trace: \"%s\"", want) &&
	    line_with(&q->err, from, want, line, sizeof(line)))
		story("KVM:    KVM_EXIT_ARM_SERROR (QEMU's trace: %s)",
		      strstr(line, "esr "));
}

/* The guest's own report of an SError with syndrome @esr. */
static void check_guest_serror(struct qemu *q, size_t from, uint64_t esr)
{
	char want[128];
	char line[256];

	snprintf(want, sizeof(want), "SError Interrupt on CPU0, code 0x%016"
		 PRIx64, esr);
	if (check(wait_for(q, &q->con, from, want, wait_seconds),
		  "the guest reports \"%s\"", want) &&
	    line_with(&q->con, from, want, line, sizeof(line)))
		story("guest:  %s", strstr(line, "SError"));
}

/* The guest kept running to its last line: it never saw an SError. */
static void check_guest_done(struct qemu *q, size_t from)
{
	if (check(wait_for(q, &q->con, from, MARK_DONE, wait_seconds),
		  "the guest keeps running and finishes (\"%s\")", MARK_DONE))
		story("guest:  saw nothing, kept running to \"%s\"", MARK_DONE);
}

/*
 * Start QEMU with @opts and wait for the guest; arm an SError with @iss
 * half a second after the guest said that it is up: in its quiet seconds,
 * once it has left the console driver (guest_init.c says why).
 */
static bool boot_and_arm(struct qemu *q, const char *opts, uint64_t reg,
			 uint64_t iss, uint64_t *count, size_t *con,
			 size_t *qmp, size_t *err)
{
	double settle;

	if (!qemu_start(q, opts))
		return check(false, "QEMU started");
	if (!check(wait_for(q, &q->con, 0, MARK_UP "\r\n", wait_seconds),
		   "the guest is up (\"%s\")", MARK_UP))
		return false;
	for (settle = now() + 0.5; now() < settle; )
		pump(q, settle - now());
	*count = errinj_count();
	*con = q->con.len;
	*qmp = q->qmp.len;
	*err = q->err.len;
	errinj_arm(reg, iss);
	story("device: a physical SError, ISS 0x%" PRIx64 ", raised %s", iss,
	      reg == ERRINJ_SERROR_IN_GUEST ? "while the guest runs" :
	      "as the guest next exits to KVM");
	return true;
}

static void check_raised(uint64_t before)
{
	uint64_t after = errinj_count();

	check(after == before + 1, "the injector raised the SError (COUNT %"
	      PRIu64 " -> %" PRIu64 ")", before, after);
}

/* Forward a RAS UER error: the guest takes an SError with that syndrome. */
static void case_forward_uer(void)
{
	size_t con, qmp, err;
	uint64_t count;
	struct qemu q;

	if (boot_and_arm(&q, ",serror-policy=forward",
			 ERRINJ_SERROR_IN_GUEST, ISS_UER, &count, &con,
			 &qmp, &err)) {
		check_event(&q, qmp, SERROR_ESR(ISS_UER), "forward");
		check_trace(&q, err, SERROR_ESR(ISS_UER));
		check_guest_serror(&q, con, SERROR_ESR(ISS_UER));
		check(wait_exit(&q, wait_seconds) >= 0,
		      "QEMU exits (the guest panics, panic=-1, -no-reboot)");
		check(!has(&q.con, con, MARK_DONE),
		      "the guest did not finish");
		check_once(&q, qmp, err, SERROR_ESR(ISS_UER));
		check_raised(count);
	}
	qemu_stop(&q);
}

/*
 * Forward an SError that KVM found pending on the way out of the guest
 * (an exit for another reason, which KVM abandons): reported, and taken,
 * as one the guest took while it ran.
 */
static void case_forward_pending(void)
{
	size_t con, qmp, err;
	uint64_t count;
	struct qemu q;

	if (boot_and_arm(&q, ",serror-policy=forward",
			 ERRINJ_SERROR_AT_GUEST_EXIT, ISS_UER, &count, &con,
			 &qmp, &err)) {
		check_trace(&q, err, SERROR_ESR(ISS_UER));
		check_event(&q, qmp, SERROR_ESR(ISS_UER), "forward");
		check_guest_serror(&q, con, SERROR_ESR(ISS_UER));
		check(wait_exit(&q, wait_seconds) >= 0,
		      "QEMU exits (the guest panics, panic=-1, -no-reboot)");
		check_once(&q, qmp, err, SERROR_ESR(ISS_UER));
		check_raised(count);
	}
	qemu_stop(&q);
}

/* A restartable (UEO) error needs no action: KVM ignores it. */
static void case_forward_ueo(void)
{
	size_t con, qmp, err;
	uint64_t count;
	struct qemu q;

	if (boot_and_arm(&q, ",serror-policy=forward",
			 ERRINJ_SERROR_IN_GUEST, ISS_UEO, &count, &con,
			 &qmp, &err)) {
		check_guest_done(&q, con);
		check(wait_exit(&q, wait_seconds) == 0,
		      "QEMU exits with 0 (the guest powered off)");
		if (check(!has(&q.qmp, qmp, "ARM_SERROR"),
			  "no ARM_SERROR event: KVM ignores a UEO error"))
			story("KVM:    a restartable error needs no action: no exit");
		check(!has(&q.err, err, "kvm_arm_handle_serror"),
		      "no trace event");
		check(!has(&q.con, con, "SError"),
		      "the guest saw no SError");
		check_raised(count);
	}
	qemu_stop(&q);
}

/* serror-policy=ignore: the vCPU resumes with nothing pending. */
static void case_ignore(void)
{
	size_t con, qmp, err;
	uint64_t count;
	struct qemu q;

	if (boot_and_arm(&q, ",serror-policy=ignore",
			 ERRINJ_SERROR_IN_GUEST, ISS_UER, &count, &con,
			 &qmp, &err)) {
		check_event(&q, qmp, SERROR_ESR(ISS_UER), "ignore");
		check_trace(&q, err, SERROR_ESR(ISS_UER));
		check_guest_done(&q, con);
		check(wait_exit(&q, wait_seconds) == 0,
		      "QEMU exits with 0 (the guest powered off)");
		check(!has(&q.con, con, "SError"),
		      "the guest saw no SError");
		check_once(&q, qmp, err, SERROR_ESR(ISS_UER));
		check_raised(count);
	}
	qemu_stop(&q);
}

/*
 * serror-policy=stop: the VM pauses, the event says why; resumed (cont),
 * the guest takes the SError, as with forward.
 */
static void case_stop(void)
{
	size_t con, qmp, err, at;
	uint64_t count;
	struct qemu q;

	if (boot_and_arm(&q, ",serror-policy=stop",
			 ERRINJ_SERROR_IN_GUEST, ISS_UEU, &count, &con,
			 &qmp, &err)) {
		check_event(&q, qmp, SERROR_ESR(ISS_UEU), "stop");
		check_trace(&q, err, SERROR_ESR(ISS_UEU));
		check(wait_for(&q, &q.qmp, qmp, "\"STOP\"", wait_seconds),
		      "QMP event STOP");
		at = q.qmp.len;
		qmp_send(&q, "{\"execute\": \"query-status\"}");
		if (check(wait_for(&q, &q.qmp, at, "\"status\": \"paused\"",
				   wait_seconds), "query-status: \"paused\""))
			story("QEMU:   the VM paused (run state paused)");
		check(!q.exited, "QEMU is still there, the VM paused");
		check(!has(&q.con, con, MARK_DONE) && !has(&q.con, con, "SError"),
		      "the guest neither finished nor took an SError");
		check_raised(count);

		at = q.qmp.len;
		qmp_send(&q, "{\"execute\": \"cont\"}");
		if (check(wait_for(&q, &q.qmp, at, "\"RESUME\"", wait_seconds),
			  "cont: QMP event RESUME"))
			story("QEMU:   cont: the VM resumes");
		check_guest_serror(&q, con, SERROR_ESR(ISS_UEU));
		check(wait_exit(&q, wait_seconds) >= 0,
		      "QEMU exits (the guest panics, panic=-1, -no-reboot)");
		check_once(&q, qmp, err, SERROR_ESR(ISS_UEU));
	}
	qemu_stop(&q);
}

/* serror-policy=off: KVM's implementation defined vSError, as before. */
static void case_off(void)
{
	size_t con, qmp, err;
	uint64_t count;
	struct qemu q;

	if (boot_and_arm(&q, ",serror-policy=off",
			 ERRINJ_SERROR_IN_GUEST, ISS_UER, &count, &con,
			 &qmp, &err)) {
		story("KVM:    no capability asked for: KVM reflects the SError");
		check_guest_serror(&q, con, KVM_DEFAULT_ESR);
		check(wait_exit(&q, wait_seconds) >= 0,
		      "QEMU exits (the guest panics, panic=-1, -no-reboot)");
		check(!has(&q.qmp, 0, "ARM_SERROR"), "no ARM_SERROR event");
		check(!has(&q.err, 0, "kvm_arm_handle_serror"),
		      "no trace event");
		check_raised(count);
	}
	qemu_stop(&q);
}

/* A policy on a kernel without the capability: a clear error, at once. */
static void case_no_capability(void)
{
	const char *want = "KVM_CAP_ARM_SERROR_TO_USER";
	char line[256];
	struct qemu q;
	int status;

	if (qemu_start(&q, ",serror-policy=forward")) {
		status = wait_exit(&q, wait_seconds);
		check(status > 0 && WIFEXITED(status) &&
		      WEXITSTATUS(status) != 0,
		      "QEMU fails (exit status %d)",
		      status > 0 && WIFEXITED(status) ?
		      WEXITSTATUS(status) : -1);
		if (check(has(&q.err, 0, "serror-policy=forward") &&
			  has(&q.err, 0, want),
			  "its message names the policy and %s", want) &&
		    line_with(&q.err, 0, want, line, sizeof(line)))
			story("QEMU:   refuses to start: %s", line);
		check(!has(&q.con, 0, MARK_UP),
		      "no guest ran");
	} else {
		check(false, "QEMU started");
	}
	qemu_stop(&q);
}

/* Which kernels a case runs on. */
enum kernel_needs { ANY_KERNEL, WITH_CAPABILITY, WITHOUT_CAPABILITY };

struct vmm_case {
	const char *name;
	void (*run)(void);
	enum kernel_needs needs;
	bool injector;		/* raises an SError */
};

static const struct vmm_case cases[] = {
	{ "forward-uer", case_forward_uer, WITH_CAPABILITY, true },
	{ "forward-pending", case_forward_pending, WITH_CAPABILITY, true },
	{ "forward-ueo", case_forward_ueo, WITH_CAPABILITY, true },
	{ "ignore", case_ignore, WITH_CAPABILITY, true },
	{ "stop", case_stop, WITH_CAPABILITY, true },
	{ "off", case_off, ANY_KERNEL, true },
	{ "no-capability", case_no_capability, WITHOUT_CAPABILITY, false },
};

int main(int argc, char **argv)
{
	int nr = ARRAY_SIZE(cases);
	int i, opt, pass = 0, fail = 0, skip = 0;
	bool cap, expect_cap = false;
	const char *no_injector;

	while ((opt = getopt(argc, argv, "cd:t:")) != -1) {
		switch (opt) {
		case 'c':
			expect_cap = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 't':
			wait_seconds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-c] [-d DIR] [-t SECONDS]\n",
				argv[0]);
			return KSFT_FAIL;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("TAP version 13\n");
	if (access("/dev/kvm", R_OK | W_OK)) {
		printf("1..0 # /dev/kvm: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	cap = kvm_has_serror_to_user();
	note("this kernel %s KVM_CAP_ARM_SERROR_TO_USER%s",
	     cap ? "has" : "does not have",
	     cap == expect_cap ? ", as -c says" : ", but -c says otherwise");
	no_injector = errinj_open();

	printf("1..%d\n", nr);
	for (i = 0; i < nr; i++) {
		const struct vmm_case *c = &cases[i];
		double start = now();
		int before = failures;

		/* Not for this kernel: a skip */
		if ((c->needs == WITH_CAPABILITY && !expect_cap) ||
		    (c->needs == WITHOUT_CAPABILITY && expect_cap)) {
			printf("ok %d %s # SKIP %s\n", i + 1, c->name,
			       expect_cap ?
			       "the kernel has KVM_CAP_ARM_SERROR_TO_USER" :
			       "no KVM_CAP_ARM_SERROR_TO_USER");
			skip++;
			continue;
		}
		/* For this kernel, and it cannot run: a failure */
		if (cap != expect_cap || (c->injector && no_injector)) {
			printf("not ok %d %s # cannot run: %s\n", i + 1, c->name,
			       cap != expect_cap ? (expect_cap ?
			       "the kernel should have KVM_CAP_ARM_SERROR_TO_USER" :
			       "the kernel should not have KVM_CAP_ARM_SERROR_TO_USER")
			       : no_injector);
			fail++;
			continue;
		}
		note("%s", c->name);
		current_case = c->name;
		c->run();
		note("%s: %.1f s", c->name, now() - start);
		if (failures == before) {
			printf("ok %d %s\n", i + 1, c->name);
			pass++;
		} else {
			printf("not ok %d %s\n", i + 1, c->name);
			fail++;
		}
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       pass, fail, skip);
	return fail || !pass ? KSFT_FAIL : KSFT_PASS;
}
