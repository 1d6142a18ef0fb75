# SPDX-License-Identifier: GPL-2.0
"""Tests of parse.py on console logs kept in testdata/: the parser must let a
clean run pass and fail each kind of bad one (`tb selftest`)."""

import os
import unittest

import parse
import targets

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata")
TESTS = ["arm64/external_aborts", "arm64/sea_to_user", "tests/serror_storm"]


def parse_log(name, target="vhe", tests=TESTS, **kw):
    with open(os.path.join(DATA, name)) as f:
        return parse.parse(targets.TARGETS[target], f.read(), tests, **kw)


class ParseTest(unittest.TestCase):
    def test_clean_run_passes(self):
        res = parse_log("vhe-pass.log")
        self.assertTrue(res.ok, res)
        self.assertEqual([t.status for t in res.tests],
                         ["pass", "skip", "pass"])
        self.assertEqual(res.tests[1].reason,
                         "EINJ table not available in firmware")
        self.assertEqual(parse.totals([res]), (2, 0, 1))

    def test_figures_and_skipped_subcases_are_kept(self):
        res = parse_log("vhe-pass.log")
        self.assertEqual(res.figures,
                         ["to user: 1.00 s, 5000 SErrors handled per second"])
        # print_skip()'s form
        self.assertIn("arm64/external_aborts: test_serror_aarch32: "
                      "no AArch32 EL1, skipping test", res.skips)

    def test_test_output_is_not_a_kernel_report(self):
        self.assertEqual(parse_log("vhe-pass.log").reports, [])

    def test_taint_fails_the_run(self):
        # /init prints "# kernel tainted: N", which starts like a test's
        # own output: it must be read all the same.
        res = parse_log("vhe-tainted.log")
        self.assertFalse(res.ok)
        self.assertIn("kernel tainted 512", res.problems)

    def test_kernel_warning_fails_the_run(self):
        res = parse_log("vhe-warning.log")
        self.assertFalse(res.ok)
        self.assertEqual(len(res.reports), 1)

    def test_missing_expectation_fails_the_run(self):
        res = parse_log("vhe-no-ras.log")
        self.assertFalse(res.ok)
        self.assertIn(f"/{targets.RAS}/ not in the log", res.problems)

    def test_rejected_line_fails_the_run(self):
        tests = ["arm64/external_aborts"]
        self.assertTrue(parse_log("noras-pass.log", "noras", tests).ok)
        res = parse_log("noras-with-ras.log", "noras", tests)
        self.assertFalse(res.ok)
        self.assertIn(f"/{targets.RAS}/ in the log, it must not be",
                      res.problems)

    def test_failed_test_fails_the_run(self):
        res = parse_log("vhe-fail.log")
        self.assertFalse(res.ok)
        self.assertEqual(res.tests[2].status, "fail")
        self.assertEqual(parse.totals([res]), (1, 1, 1))

    def test_no_poweroff_fails_the_run(self):
        res = parse_log("vhe-no-poweroff.log")
        self.assertFalse(res.ok)
        self.assertIn("/init did not finish (no poweroff)", res.problems)

    def test_missing_result_fails(self):
        res = parse_log("vhe-pass.log", tests=TESTS + ["tests/serror_base"])
        self.assertEqual(res.tests[3].status, "missing")
        self.assertFalse(res.ok)

    def test_not_run_is_a_skip_with_its_reason(self):
        res = parse_log("vhe-pass.log", tests=TESTS + ["tests/serror_base"],
                        skipped={"tests/serror_base": "needs passthrough"})
        self.assertTrue(res.ok)
        self.assertEqual((res.tests[3].status, res.tests[3].reason),
                         ("skip", "needs passthrough"))

    def test_known_failure_and_unexpected_pass(self):
        reason = {"tests/serror_storm": "known to fail"}
        res = parse_log("vhe-fail.log", xfail=reason)
        self.assertEqual(res.tests[2].status, "xfail")
        self.assertTrue(res.ok)
        res = parse_log("vhe-pass.log", xfail=reason)
        self.assertEqual(res.tests[2].status, "xpass")
        self.assertFalse(res.ok)

    def test_timeout_fails_the_run(self):
        res = parse_log("vhe-pass.log", timed_out=True)
        self.assertFalse(res.ok)


if __name__ == "__main__":
    unittest.main()
