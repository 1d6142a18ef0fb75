/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What kind of KVM host the tests run on, where KVM's own interface does not
 * say it.
 */
#ifndef TESTS_HOST_H
#define TESTS_HOST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Whether KVM runs in protected mode (pKVM): its command line says so. */
static inline bool host_is_protected(void)
{
	char cmdline[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	return strstr(cmdline, "kvm-arm.mode=protected");
}

#endif /* TESTS_HOST_H */
