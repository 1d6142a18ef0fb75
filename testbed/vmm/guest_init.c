// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the guest that the vmm suite's driver (vmm_serror.c) boots under
 * QEMU and KVM on an arm64 host of the testbed: it says that it is up, does
 * a few seconds of work (counting: QUIET seconds without a word, then a
 * progress line a second), says that it is done and powers the machine
 * off. The driver reads these lines on the guest's console: whether the
 * guest reached its last one tells whether it survived the SError that the
 * host raised while it worked.
 *
 * The driver raises the SError in the quiet seconds: an SError taken while
 * the kernel writes to the console interrupts the console driver with its
 * port lock held, and the panic that follows may restart the machine
 * (panic=-1) before its report gets out.
 *
 * Built statically by testbed/vmm.py; it needs nothing else.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#define QUIET	3
#define STEPS	3

static void out(const char *fmt, ...)
{
	char buf[256];
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

int main(void)
{
	volatile unsigned long count = 0;
	int step;

	out("vmm-guest: up\n");
	for (step = -QUIET + 1; step <= STEPS; step++) {
		double end = now() + 1.0;

		while (now() < end)
			count++;
		if (step > 0)
			out("vmm-guest: step %d/%d, counted to %lu\n", step, STEPS,
		    count);
	}
	out("vmm-guest: done\n");

	reboot(RB_POWER_OFF);
	return 0;
}
