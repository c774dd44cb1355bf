#!/usr/bin/env python3
"""Tests of matrix.py against result files in every format the suites write
(fixtures/pass/<language>/ and fixtures/fail/<language>/, trimmed from real runs).

In the fixtures every language passes S01 and S02, S03 has no test, and in fail/ each
language's S02 test failed. Run: python3 tests/conformance/test_matrix.py
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import matrix  # noqa: E402

FIXTURES = HERE / "fixtures"
SCENARIOS = FIXTURES / "scenarios.json"
LANGUAGES = ["rust", "c", "python", "node", "java", "dotnet"]


def run(results: Path, *args: str) -> "tuple[int, str]":
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = matrix.main(["--results", str(results), "--scenarios", str(SCENARIOS), *args])
    return code, out.getvalue()


class Results:
    """A writable copy of fixtures/pass, with some languages taken from elsewhere."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.path = Path(self.tmp.name) / "conformance"
        shutil.copytree(FIXTURES / "pass", self.path)

    def use(self, language: str, variant: str) -> None:
        shutil.rmtree(self.path / language)
        shutil.copytree(FIXTURES / variant / language, self.path / language)

    def close(self) -> None:
        self.tmp.cleanup()


class MatrixTest(unittest.TestCase):
    def setUp(self) -> None:
        self.results = Results()
        self.addCleanup(self.results.close)

    def test_every_format_is_read_and_all_required_cells_pass(self) -> None:
        built = matrix.build(self.results.path, SCENARIOS)
        for language in LANGUAGES:
            with self.subTest(language=language):
                self.assertEqual(built.status(language, "S01"), matrix.PASS)
                self.assertEqual(built.status(language, "S02"), matrix.PASS)
                self.assertEqual(built.status(language, "S03"), matrix.MISSING)
        code, out = run(self.results.path, "--require", "S01-S02")
        self.assertEqual(code, 0, out)
        self.assertIn("all 12 required cells pass", out)

    def test_a_failed_test_fails_its_cell_and_the_check(self) -> None:
        for language in LANGUAGES:
            with self.subTest(language=language):
                results = Results()
                try:
                    results.use(language, "fail")
                    built = matrix.build(results.path, SCENARIOS)
                    self.assertEqual(built.status(language, "S02"), matrix.FAIL)
                    self.assertEqual(built.status(language, "S01"), matrix.PASS)
                    code, out = run(results.path, "--require", "S01-S02")
                    self.assertEqual(code, 1, out)
                    self.assertIn(f"{language} S02: FAIL", out)
                finally:
                    results.close()

    def test_a_missing_required_scenario_fails_the_check(self) -> None:
        code, out = run(self.results.path, "--require", "S01-S03")
        self.assertEqual(code, 1, out)
        for language in LANGUAGES:
            self.assertIn(f"{language} S03: missing", out)

    def test_cells_outside_the_required_set_are_printed_but_do_not_fail(self) -> None:
        code, out = run(self.results.path, "--require", "S01")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"S03  +missing +missing")

    def test_a_language_without_results_is_missing_everywhere(self) -> None:
        shutil.rmtree(self.results.path / "java")
        code, out = run(self.results.path, "--require", "S01-S02")
        self.assertEqual(code, 1, out)
        self.assertIn("java S01: missing", out)
        self.assertIn("no results for java", out)

    def test_a_skipped_test_is_not_a_pass(self) -> None:
        junit = self.results.path / "python" / "pytest.xml"
        text = junit.read_text()
        start = text.index('<testcase classname="test_scenarios" name="test_s01_')
        end = text.index("/>", start)
        junit.write_text(text[:end] + '><skipped type="pytest.skip" message="no hub" /></testcase>' + text[end + 2:])
        built = matrix.build(self.results.path, SCENARIOS)
        self.assertEqual(built.status("python", "S01"), matrix.SKIP)
        code, out = run(self.results.path, "--require", "S01")
        self.assertEqual(code, 1, out)
        self.assertIn("python S01: skip", out)

    def test_an_unreadable_result_file_stops_the_check(self) -> None:
        (self.results.path / "c" / "broken.xml").write_text("<testsuite><testcase name='s01_x'>")
        code, out = run(self.results.path, "--require", "S01")
        self.assertEqual(code, 2, out)
        self.assertIn("broken.xml", out)

    def test_the_require_option(self) -> None:
        known = [f"S{n:02d}" for n in range(1, 26)]
        self.assertEqual(matrix.parse_require("S01-S03,S20", known), ["S01", "S02", "S03", "S20"])
        self.assertEqual(matrix.parse_require("all", known), known)
        for bad in ("S1-S3", "S01-S30", "13", "S01-S02-S03"):
            with self.assertRaises(ValueError):
                matrix.parse_require(bad, known)


class NameTest(unittest.TestCase):
    def test_ids_in_every_naming_style(self) -> None:
        cases = {
            "s14_in_order_acks": ["S14"],
            "test_s14_in_order[sync]": ["S14"],
            "S14: acks in order": ["S14"],
            "s14AcksInOrder": ["S14"],
            "S14_AcksInOrder": ["S14"],
            "valgrind_s01_environment": ["S01"],
            "s11_s25_restart_logs": ["S11", "S25"],
            "tests14_glued": [],
            "S140_three_digits": [],
            "user_topics": [],
        }
        for name, ids in cases.items():
            with self.subTest(name=name):
                self.assertEqual(matrix.scenario_ids(name), ids)

    def test_nunit_names_are_reduced_to_the_method(self) -> None:
        self.assertEqual(matrix.own_name("EdgeModule.Tests.ConnectScenarios.S01_Connect"), "S01_Connect")
        self.assertEqual(matrix.own_name("Ns.Cls.S09_Big(1.5)"), "S09_Big(1.5)")

    def test_libtest_result_split_by_child_output_is_caught_by_the_failure_list(self) -> None:
        log = "\n".join([
            "     Running tests/s01_environment.rs (target/debug/deps/s01_environment-0a1b)",
            "running 2 tests",
            "test s01_first ... ok",
            "test s01_second ... child process noise",
            "FAILED",
            "",
            "failures:",
            "",
            "---- s01_second stdout ----",
            "thread 's01_second' panicked",
            "",
            "failures:",
            "    s01_second",
            "",
            "test result: FAILED. 1 passed; 1 failed; 0 ignored",
        ])
        outcomes = {o.name: o.status for o in matrix.read_libtest(log, "cargo-test.log")}
        self.assertEqual(outcomes, {"s01_first": matrix.PASS, "s01_second": matrix.FAIL})


if __name__ == "__main__":
    unittest.main(verbosity=1)
