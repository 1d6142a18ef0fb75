# SPDX-License-Identifier: GPL-2.0
"""Tests of the verdict (parse.py, with what suites.py says of each test) on
console logs kept in testdata/: a clean run must pass, and each kind of bad
one must fail (`tb selftest`)."""

import os
import re
import unittest

import parse
import runner
import suites
import targets

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata")
TESTS = ["arm64/external_aborts", "arm64/sea_to_user", "tests/serror_storm"]
ALL = {t.binary: t for t in suites.UPSTREAM + suites.SERIES + suites.FIXES +
       suites.NV_FIXES + suites.PROJECT + suites.VMM + suites.APEI}


def read(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read()


def verdict(text, target="vhe", tests=TESTS, kernel="test", timed_out=False):
    """@text as the runner reads it: with the plan's data for @tests."""
    return runner.verdict([ALL[n] for n in tests], target, kernel, text,
                          timed_out)


def parse_log(name, target="vhe", tests=TESTS, **kw):
    return verdict(read(name), target, tests, **kw)


def test(res, name):
    return next(t for t in res.tests if t.name == name)


class CleanRun(unittest.TestCase):
    def test_clean_run_passes(self):
        res = parse_log("vhe-pass.log")
        self.assertTrue(res.ok, res)
        self.assertEqual([t.status for t in res.tests],
                         ["pass", "skip", "pass"])
        self.assertEqual(res.tests[1].reason,
                         "EINJ table not available in firmware")
        self.assertEqual(parse.totals([res]), (2, 0, 1, 0))

    def test_figures_are_kept(self):
        res = parse_log("vhe-pass.log")
        self.assertEqual(res.figures,
                         ["to user: 1.00 s, 5000 SErrors handled per second"])

    def test_test_output_is_not_a_kernel_report(self):
        self.assertEqual(parse_log("vhe-pass.log").reports, [])

    def test_counts_by_kind(self):
        lines = parse.by_kind([parse_log("vhe-pass.log")])
        self.assertEqual(lines, ["  test kernel: project 1 passed; "
                                 "upstream 1 passed, 1 skipped"])

    def test_not_run_is_a_skip_with_its_reason(self):
        # The vmm driver needs FEAT_RAS: on the no-RAS host it does not run.
        res = parse_log("noras-pass.log", "noras",
                        ["arm64/external_aborts", suites.vmm.DRIVER])
        self.assertTrue(res.ok, res)
        self.assertEqual((res.tests[1].status, res.tests[1].reason),
                         ("skip", "needs ras"))


class Acpi(unittest.TestCase):
    """The UEFI + ACPI hosts: upstream's sea_to_user must run where EINJ
    is; memory errors are expected where a test makes them, only there."""

    SEA = ["arm64/sea_to_user"]
    SIGBUS = ["tests/sea_apei_sigbus"]

    def test_sea_to_user_passes(self):
        res = parse_log("acpi-pass.log", "acpi", self.SEA)
        self.assertTrue(res.ok, res)
        self.assertEqual(parse.totals([res]), (1, 0, 0, 0))

    def test_sea_to_user_must_not_skip_where_einj_is(self):
        text = read("acpi-pass.log").replace(
            "ok 1 arm64/sea_to_user",
            "ok 1 arm64/sea_to_user # SKIP EINJ table not available in "
            "firmware")
        res = verdict(text, "acpi", self.SEA)
        self.assertFalse(res.ok)
        self.assertRegex(test(res, "arm64/sea_to_user").reason,
                         "^skipped where it must run: EINJ table")

    def test_apei_claims(self):
        res = parse_log("acpi-ghes-pass.log", "acpi-ghes", self.SIGBUS)
        self.assertTrue(res.ok, res)
        self.assertEqual(res.reports, [])
        self.assertEqual(parse.totals([res]), (1, 0, 0, 0))

    def test_memory_errors_elsewhere_fail(self):
        # On the acpi target the same log has a HEST it must not have and
        # memory errors nothing made on purpose; on a device-tree host the
        # memory errors alone fail it.
        res = parse_log("acpi-ghes-pass.log", "acpi", self.SIGBUS)
        self.assertFalse(res.ok)
        self.assertIn("/ACPI: HEST 0x/ in the log, it must not be",
                      res.problems)
        self.assertEqual(len(res.reports), 8)
        line = ("[    1.516300] Memory failure: 0x13b9bb: Sending SIGBUS to "
                "serror_storm:40 due to hardware memory corruption")
        text = read("vhe-pass.log").replace(
            "# kernel tainted:", line + "\n# kernel tainted:")
        res = verdict(text)
        self.assertFalse(res.ok)
        self.assertEqual(res.reports, [line])

    def test_memory_errors_only_while_the_test_runs(self):
        line = ("[    0.900000] {1}[Hardware Error]: Hardware error from "
                "APEI Generic Hardware Error Source: 0")
        for before in ("Run /init", "# kernel tainted:"):
            lines = read("acpi-ghes-pass.log").splitlines()
            at = next(i for i, x in enumerate(lines) if before in x)
            text = "\n".join(lines[:at] + [line] + lines[at:])
            res = verdict(text, "acpi-ghes", self.SIGBUS)
            self.assertFalse(res.ok, before)
            self.assertEqual(res.reports, [line])

    def test_sigbus_test_needs_firmware_first(self):
        res = parse_log("acpi-pass.log", "acpi", self.SEA + self.SIGBUS)
        self.assertEqual((test(res, self.SIGBUS[0]).status,
                          test(res, self.SIGBUS[0]).reason),
                         ("skip", "needs ghes"))


class EachKindFails(unittest.TestCase):
    """Every report kind, every taint flag, every way a test can fail to
    run where it must: the run fails."""

    def assertFails(self, res, why):
        self.assertFalse(res.ok, f"passed although {why}")
        self.assertGreater(parse.totals([res])[1], 0, why)

    def test_kernel_reports(self):
        for kind in ("warning", "bug", "oops", "lockdep", "kasan", "ubsan",
                     "rcu-stall"):
            with self.subTest(kind):
                res = parse_log(f"vhe-{kind}.log")
                self.assertFails(res, kind)
                self.assertTrue(res.reports, kind)

    def test_report_glued_to_a_test_line(self):
        # Hand-made from vhe-pass.log: the kernel's WARNING printed before
        # the test's newline, on the same console line.
        glued = ("[    3.000000] WARNING: CPU: 1 PID: 77 at "
                 "arch/arm64/kvm/handle_exit.c:99 kvm_handle_guest_serror")
        text = read("vhe-pass.log").replace(
            "# # to user: 1.00 s, 5000 SErrors handled per second",
            "# # to user: 1.00 s, 5000 SErrors handled per second" + glued)
        res = verdict(text)
        self.assertFails(res, "a kernel WARNING glued to a test's line")
        self.assertEqual(res.reports, [glued])

    def test_relayed_guest_console_is_not_this_kernel(self):
        # The vmm driver relays its guest's console as "# guest: ": that
        # guest's panic is the test's subject, not a report of the host.
        text = read("vhe-pass.log").replace(
            "# # to user: 1.00 s, 5000 SErrors handled per second",
            "# # to user: 1.00 s, 5000 SErrors handled per second\n"
            "# # guest: [    1.234567] Kernel panic - not syncing: "
            "Asynchronous SError Interrupt")
        self.assertTrue(verdict(text).ok)

    def test_taint_without_a_report_in_the_log(self):
        # The W taint of a WARNING the log lost (printed before the
        # console came up, or dropped): the taint alone fails the run.
        res = parse_log("vhe-tainted.log")
        self.assertFails(res, "the kernel is tainted W")
        self.assertEqual(res.reports, [])
        self.assertIn("kernel tainted 512 (W)", res.problems)

    def test_panic(self):
        res = parse_log("vhe-panic.log", timed_out=True)
        self.assertFails(res, "the kernel panicked")
        self.assertTrue(any("Kernel panic" in r for r in res.reports))

    def test_kmemleak_from_init(self):
        # /init prints what kmemleak found as "# kmemleak: ...": a test's
        # output starts the same way, and is passed over; this is not.
        res = parse_log("vhe-kmemleak.log")
        self.assertFails(res, "kmemleak found a leak")
        self.assertIn("kmemleak: unreferenced object 0xffff000004a1c000 "
                      "(size 64):", res.reports)

    def test_kmemleak_that_did_not_scan(self):
        res = parse_log("vhe-kmemleak-no-scan.log")
        self.assertFails(res, "kmemleak did not scan")

    def test_each_taint_flag(self):
        text = read("vhe-pass.log")
        for bit, flag in enumerate(parse.TAINT_FLAGS):
            tainted = text.replace("# kernel tainted: 0",
                                   f"# kernel tainted: {1 << bit}")
            with self.subTest(flag):
                res = verdict(tainted)
                self.assertFails(res, f"taint {flag}")
                self.assertIn(f"kernel tainted {1 << bit} ({flag})",
                              res.problems)

    def test_only_the_declared_taint_is_accepted(self):
        # The protected host may show U (a protected VM was created), and
        # nothing else.
        text = read("vhe-pass.log").replace(
            "VHE mode initialized", "Protected hVHE mode initialized")
        ok = verdict(text.replace("tainted: 0", "tainted: 64"), "protected",
                     ["arm64/external_aborts"])
        self.assertTrue(ok.ok, ok)
        bad = verdict(text.replace("tainted: 0", "tainted: 576"),
                      "protected", ["arm64/external_aborts"])
        self.assertIn("kernel tainted 576 (UW)", bad.problems)
        self.assertFalse(verdict(read("vhe-pass.log").replace(
            "tainted: 0", "tainted: 64")).ok)

    def test_no_taint_line(self):
        self.assertFails(parse_log("vhe-no-taint-line.log"),
                         "/init said nothing of the taint")

    def test_hung_boot(self):
        res = parse_log("vhe-hung.log", timed_out=True)
        self.assertFails(res, "the boot hung")
        self.assertIn("QEMU timed out", res.problems)
        self.assertEqual(test(res, "tests/serror_storm").status, "missing")

    def test_no_poweroff(self):
        res = parse_log("vhe-no-poweroff.log")
        self.assertFails(res, "/init did not finish")
        self.assertIn("/init did not finish (no poweroff)", res.problems)

    def test_missing_tap_line(self):
        res = parse_log("vhe-no-tap.log")
        self.assertFails(res, "a test printed no result")
        self.assertEqual(test(res, "tests/serror_storm").status, "missing")

    def test_missing_mode_line(self):
        res = parse_log("vhe-no-mode.log")
        self.assertFails(res, "KVM's mode is not in the log")
        self.assertTrue(any("VHE mode initialized" in p
                            for p in res.problems))

    def test_missing_ras_line(self):
        res = parse_log("vhe-no-ras.log")
        self.assertFails(res, "RAS is not in the log")
        self.assertIn(f"/{targets.RAS}/ not in the log", res.problems)

    def test_rejected_line(self):
        tests = ["arm64/external_aborts"]
        self.assertTrue(parse_log("noras-pass.log", "noras", tests).ok)
        res = parse_log("noras-with-ras.log", "noras", tests)
        self.assertFails(res, "the no-RAS host has RAS")
        self.assertIn(f"/{targets.RAS}/ in the log, it must not be",
                      res.problems)

    def test_failed_test(self):
        res = parse_log("vhe-fail.log")
        self.assertFails(res, "a test failed")
        self.assertEqual(res.tests[2].status, "fail")
        self.assertEqual(parse.totals([res]), (1, 1, 1, 0))

    def test_timeout(self):
        self.assertFails(parse_log("vhe-pass.log", timed_out=True),
                         "QEMU timed out")

    def test_required_test_skipped(self):
        # serror_storm needs the capability: on the series' kernel its skip
        # is a failure, with the skip's reason.
        res = parse_log("vhe-required-skip.log")
        self.assertFails(res, "a test skipped where it must run")
        t = test(res, "tests/serror_storm")
        self.assertEqual(t.status, "fail")
        self.assertRegex(t.reason, r"^skipped where it must run: .*"
                         r"KVM_CAP_ARM_SERROR_TO_USER")

    def test_series_test_without_the_capability(self):
        # The series' test skips on the unpatched base, where it may, and
        # fails on the series' kernels, where it must run.
        text = read("vhe-required-skip.log").replace("tests/serror_storm",
                                                     "arm64/serror_to_user")
        tests = TESTS[:2] + ["arm64/serror_to_user"]
        self.assertTrue(verdict(text, tests=tests, kernel="upstream").ok)
        for kernel in ("test", "debug"):
            self.assertFalse(verdict(text, tests=tests, kernel=kernel).ok)

    def test_whole_skip_reason_is_the_skip_message(self):
        # Hand-made from vhe-pass.log: sea_to_user says "skip" once more
        # after its skip message, which /init's result line then carries.
        # The reason is the message the test skipped with.
        text = read("vhe-pass.log").replace(
            "ok 2 arm64/sea_to_user # SKIP EINJ table not available in "
            "firmware",
            "# # cleanup: nothing to skip\n"
            "ok 2 arm64/sea_to_user # SKIP # cleanup: nothing to skip")
        text = text.replace("# # SKIP EINJ table not available in firmware",
                            "# 1..0 # SKIP EINJ table not available in "
                            "firmware")
        res = verdict(text)
        t = test(res, "arm64/sea_to_user")
        self.assertEqual((t.status, t.reason),
                         ("skip", "EINJ table not available in firmware"))

    def test_skip_allowed_elsewhere_only(self):
        # sea_to_user may skip for want of EINJ; for another reason, not.
        text = read("vhe-pass.log").replace(
            "SKIP EINJ table not available in firmware",
            "SKIP - Requirement not met: kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER)")
        res = verdict(text)
        self.assertEqual(test(res, "arm64/sea_to_user").status, "fail")

    def test_subcase_skipped(self):
        # print_skip()'s form, in a test where every case must run.
        res = parse_log("vhe-subcase-skip.log")
        self.assertIn("arm64/external_aborts: test_serror_aarch32: "
                      "no AArch32 EL1, skipping test", res.skips)
        t = test(res, "arm64/external_aborts")
        self.assertEqual(t.status, "fail")
        self.assertIn("no AArch32 EL1", t.reason)

    def test_subcase_skips_by_target(self):
        # hostile_input's protected-VM cases may skip off pKVM only.
        text = read("vhe-pass.log").replace(
            "# running tests/serror_storm (timeout 600 s)\n",
            "# running tests/serror_storm (timeout 600 s)\n"
            "# # Skipping the protected VM cases: no KVM_VM_TYPE_ARM_"
            "PROTECTED (host not in protected mode?): Invalid argument\n"
            "# ok 48 # SKIP protected VM: KVM_CHECK_EXTENSION(SERROR_TO_"
            "USER) reads 0\n").replace("tests/serror_storm",
                                       "tests/serror_hostile_input")
        tests = TESTS[:2] + ["tests/serror_hostile_input"]
        self.assertTrue(verdict(text, tests=tests).ok)
        prot = text.replace("VHE mode initialized",
                            "Protected hVHE mode initialized")
        res = verdict(prot, "protected", tests)
        self.assertEqual(test(res, "tests/serror_hostile_input").status,
                         "fail")

    def test_subcase_pattern_does_not_excuse_a_whole_skip(self):
        # hostile_input may skip its protected-VM cases off pKVM, not
        # itself, whatever its skip reason says.
        text = read("vhe-required-skip.log").replace(
            "tests/serror_storm", "tests/serror_hostile_input").replace(
            "- Requirement not met: kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER)",
            "Skipping the protected VM cases: no KVM_VM_TYPE_ARM_PROTECTED "
            "(host not in protected mode?): Invalid argument")
        tests = TESTS[:2] + ["tests/serror_hostile_input"]
        res = verdict(text, tests=tests)
        self.assertEqual(test(res, "tests/serror_hostile_input").status,
                         "fail")

    def test_child_configuration_skipped(self):
        # get-reg-list runs each configuration in a child and passes when
        # one skips: a configuration that may not skip here fails it.
        def log(config, why):
            return read("vhe-pass.log").replace(
                "# running tests/serror_storm (timeout 600 s)\n",
                "# running tests/serror_storm (timeout 600 s)\n"
                f"# 1..0 # SKIP - {config}: {why}, skipping tests\n"
            ).replace("tests/serror_storm", "get-reg-list")
        tests = TESTS[:2] + ["get-reg-list"]
        ok = verdict(log("EL2+vregs", "EL2 not available"), tests=tests)
        self.assertTrue(ok.ok, ok)
        for config, why in (("sve", "sve not available"),
                            ("vregs", "KVM_CAP_ONE_REG not available")):
            res = verdict(log(config, why), tests=tests)
            self.assertEqual(test(res, "get-reg-list").status, "fail",
                             config)
        # On the nested host, EL2 must be there
        res = verdict(log("EL2+vregs", "EL2 not available").replace(
            "VHE mode", "VHE+NV2 mode"), "nested", tests)
        self.assertEqual(test(res, "get-reg-list").status, "fail")

    def test_init_lines_from_a_test_are_not_init(self):
        # A test's output passes through /init with "# ": what it prints
        # can look like /init's closing lines, and must not count.
        text = read("vhe-no-taint-line.log").replace(
            "# # to user:", "# kernel tainted: 0\n# # to user:")
        self.assertIn("no \"# kernel tainted:\" line from /init",
                      verdict(text).problems)
        text = read("vhe-no-poweroff.log").replace(
            "# # to user:", "# testbed: done\n# # to user:")
        self.assertFalse(verdict(text).ok)
        text = read("vhe-kmemleak-no-scan.log").replace(
            "# # to user:", "# kmemleak: scan done\n# # to user:")
        self.assertFalse(verdict(text).ok)

    def test_known_failure_and_unexpected_pass(self):
        # The fixes' cases must fail on the unpatched base: a pass there
        # fails the run.
        name = "tests/ea_fix_reset"
        tests = TESTS[:2] + [name]
        other = read("vhe-fail.log").replace("tests/serror_storm", name)
        fail = other.replace("# ok 1 storm\n", "# ==== Test Assertion "
                             "Failure ====\n#   SError still pending after "
                             "KVM_ARM_VCPU_INIT\n")
        res = verdict(fail, tests=tests, kernel="upstream")
        self.assertEqual(test(res, name).status, "xfail")
        self.assertTrue(res.ok)
        self.assertEqual(parse.totals([res]), (1, 0, 1, 1))
        # With the series it must pass
        self.assertFalse(verdict(fail, tests=tests).ok)
        # A failure of another kind is a failure
        res = verdict(other, tests=tests, kernel="upstream")
        self.assertEqual(test(res, name).status, "fail")
        self.assertIn("not as expected", test(res, name).reason)
        ok = read("vhe-pass.log").replace("tests/serror_storm", name)
        res = verdict(ok, tests=tests, kernel="upstream")
        self.assertEqual(test(res, name).status, "xpass")
        self.assertFalse(res.ok)

    def test_known_failure_is_an_assertion_failure(self):
        # Only the exit of the assertion failure that prints the expected
        # message counts: not a timeout or a kill, not the message
        # printed elsewhere.
        name = "tests/ea_fix_reset"
        tests = TESTS[:2] + [name]
        fail = read("vhe-fail.log").replace(
            "tests/serror_storm", name).replace(
            "# ok 1 storm\n", "# ==== Test Assertion Failure ====\n#   SError "
            "still pending after KVM_ARM_VCPU_INIT\n")
        self.assertEqual(test(verdict(fail, tests=tests, kernel="upstream"),
                              name).status, "xfail")
        for end in ("TIMEOUT after 120 s", "killed by signal 9"):
            res = verdict(fail.replace("exit code 254", end), tests=tests,
                          kernel="upstream")
            self.assertEqual(test(res, name).status, "fail", end)
            self.assertIn("not an exit", test(res, name).reason)
        outside = fail.replace(
            "# ==== Test Assertion Failure ====\n#   SError still pending "
            "after KVM_ARM_VCPU_INIT\n", "#   SError still pending after "
            "KVM_ARM_VCPU_INIT\n# ==== Test Assertion Failure ====\n#   "
            "something else\n")
        res = verdict(outside, tests=tests, kernel="upstream")
        self.assertEqual(test(res, name).status, "fail")
        self.assertIn("assertion failure", test(res, name).reason)

    def test_every_fix_has_a_known_failure(self):
        for t in suites.FIXES:
            self.assertTrue(t.xfail_reason(targets.TARGETS["vhe"],
                                           "upstream"), t.binary)
            self.assertIsNone(t.xfail_reason(targets.TARGETS["vhe"], "test"))
        nested = targets.TARGETS["nested"]
        for t in suites.NV_FIXES:
            self.assertTrue(t.crash_reason(nested, "upstream"), t.binary)
            self.assertIsNone(t.crash_reason(nested, "test"))
            self.assertIn((f"nv_fix_{t.binary.split('_')[-1]}", ["nested"],
                           "upstream"), suites.PLAN)


class KnownCrash(unittest.TestCase):
    """A fix's case that crashes the unpatched kernel: the crash is its
    expected failure, only while it runs, only with the crash it names.
    nested-upstream-crash.log is a real console log of that run (7.3.4 on
    the nested host), cut to the lines the target must show and the run."""

    NAME = "tests/ea_fix_nested_serror"
    LOG = "nested-upstream-crash.log"

    def check(self, text, kernel="upstream"):
        return verdict(text, "nested", [self.NAME], kernel)

    def without_crash(self):
        """The log without the kernel's lines from the test's start on."""
        lines = read(self.LOG).splitlines()
        start = lines.index(f"# running {self.NAME} (timeout 1200 s)")
        return "\n".join(lines[:start] + [
            line for line in lines[start:] if not line.startswith("[")
        ]).replace("# kernel tainted: 128", "# kernel tainted: 0")

    def test_the_crash_is_the_expected_failure(self):
        res = self.check(read(self.LOG))
        self.assertTrue(res.ok, res)
        self.assertEqual(test(res, self.NAME).status, "xfail")
        self.assertIn("Unable to handle kernel NULL pointer",
                      test(res, self.NAME).reason)
        self.assertEqual((res.reports, res.problems), ([], []))
        self.assertEqual(parse.totals([res]), (0, 0, 0, 1))

    def test_with_the_fix_it_is_a_crash(self):
        res = self.check(read(self.LOG), kernel="test")
        self.assertFalse(res.ok)
        self.assertEqual(test(res, self.NAME).status, "fail")
        self.assertIn("Unable to handle kernel NULL pointer dereference at "
                      "virtual address 0000000000000074", res.reports[0])
        self.assertIn("kernel tainted 128 (D)", res.problems)

    def test_another_crash_is_a_failure(self):
        text = read(self.LOG).replace("kvm_inject_nested_serror+",
                                      "kvm_inject_nested_sea+")
        res = self.check(text)
        self.assertFalse(res.ok)
        self.assertIn("no /kvm_inject_nested_serror\\+/ on the console",
                      test(res, self.NAME).reason)
        self.assertTrue(res.reports)
        self.assertIn("kernel tainted 128 (D)", res.problems)

    def test_a_failure_without_a_crash_is_a_failure(self):
        res = self.check(self.without_crash())
        self.assertEqual(test(res, self.NAME).status, "fail")
        self.assertIn("no /Unable to handle", test(res, self.NAME).reason)

    def test_a_report_after_the_test_is_not_excused(self):
        text = read(self.LOG).replace(
            "# kernel tainted: 128",
            "[    0.900000] WARNING: CPU: 0 PID: 1 at kernel/exit.c:1\n"
            "# kernel tainted: 128")
        res = self.check(text)
        self.assertEqual(test(res, self.NAME).status, "xfail")
        self.assertFalse(res.ok)
        self.assertEqual(res.reports, ["[    0.900000] WARNING: CPU: 0 PID: "
                                       "1 at kernel/exit.c:1"])

    def test_a_pass_is_unexpected(self):
        res = self.check(self.without_crash().replace(
            "not ok 1 tests/ea_fix_nested_serror # killed by signal 11",
            "ok 1 tests/ea_fix_nested_serror"))
        self.assertEqual(test(res, self.NAME).status, "xpass")
        self.assertFalse(res.ok)

    def test_it_boots_alone_where_it_crashes(self):
        nested = targets.TARGETS["nested"]
        crash, other = ALL[self.NAME], ALL["arm64/external_aborts"]
        self.assertEqual(runner.must_boot_alone([crash, other], nested,
                                                "upstream"), self.NAME)
        self.assertIsNone(runner.must_boot_alone([crash], nested, "upstream"))
        self.assertIsNone(runner.must_boot_alone([crash, other], nested,
                                                 "test"))
        for suite, names, kernel_name in suites.PLAN:
            for name in names:
                self.assertIsNone(runner.must_boot_alone(
                    suites.SUITES[suite], targets.TARGETS[name],
                    kernel_name), f"{suite} on {name}")


class ExpectedPanic(unittest.TestCase):
    """An uncontainable guest SError: the host's panic is the expected
    failure, and it ends the boot, so /init neither finishes nor says the
    taint. vhe-uc-panic.log is a real console log of that run (the test
    kernel on vhe), cut to the lines the target must show and the run."""

    NAME = "tests/serror_uc"
    ALL[NAME] = suites.UC_PANIC["panic_uc"][0]

    def check(self, text):
        return verdict(text, "vhe", [self.NAME], "test")

    def test_the_panic_is_the_expected_failure(self):
        res = self.check(read("vhe-uc-panic.log"))
        self.assertTrue(res.ok, res)
        self.assertEqual(test(res, self.NAME).status, "xfail")

    def test_another_syndrome_is_a_failure(self):
        text = read("vhe-uc-panic.log").replace("code 0x00000000be000011",
                                                "code 0x00000000be000c11")
        self.assertFalse(self.check(text).ok)

    def test_surviving_is_a_failure(self):
        lines = [line for line in read("vhe-uc-panic.log").splitlines()
                 if not line.startswith("[    1.")]
        text = "\n".join(lines + [
            "not ok 1 tests/serror_uc # exit code 254",
            "# kernel tainted: 0", "# testbed: done"])
        res = self.check(text)
        self.assertFalse(res.ok)
        self.assertEqual(test(res, self.NAME).status, "fail")

    def test_a_panic_elsewhere_is_not_excused(self):
        text = read("vhe-uc-panic.log").replace("tests/serror_uc",
                                                "tests/serror_base")
        res = verdict(text, "vhe", ["tests/serror_base"], "test")
        self.assertFalse(res.ok)
        self.assertIn("/init did not finish (no poweroff)", res.problems)


class Data(unittest.TestCase):
    def test_where_words_are_known(self):
        features = set().union(*(t.features
                                 for t in targets.TARGETS.values()))
        kernels = {"test", "debug", "upstream"}
        for t in ALL.values():
            wheres = [s.where for s in t.may_skip] + [x[0] for x in t.xfail]
            for word in " ".join(wheres).split():
                name = word.lstrip("!").split("=")[-1]
                self.assertIn(name, kernels if "kernel" in word
                              else features, f"{t.binary}: {word}")

    def test_plan_boots_each_target_with_its_kernel(self):
        import kernel
        for suite, names, kernel_name in suites.PLAN:
            for name in names:
                fragment = targets.TARGETS[name].fragment
                self.assertTrue(not fragment or fragment in
                                kernel.KERNELS[kernel_name].fragments,
                                f"{suite} on {name}: {kernel_name}")

    def test_skip_patterns_compile(self):
        for t in ALL.values():
            for s in t.may_skip:
                re.compile(s.pattern)
                self.assertTrue(s.why, f"{t.binary}: {s.pattern}: no why")

    def test_skip_patterns_are_anchored(self):
        # A pattern matches a whole skip line, never a part of one.
        for t in ALL.values():
            for s in t.may_skip:
                self.assertTrue(s.pattern.startswith("^") and
                                s.pattern.endswith("$"),
                                f"{t.binary}: {s.pattern}")


if __name__ == "__main__":
    unittest.main()
