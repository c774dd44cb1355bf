#!/usr/bin/env python3
"""The conformance matrix: which language passes which scenario of scenarios.json.

Every suite leaves machine-readable results under target/conformance/<language>/ (see
README.md in this directory). A test covers a scenario when its own name (function, method
or test title; not its file or class) carries the id as a word: ``S14``, ``s14_``,
``test_s14_…``, ``s14InOrder…``. A cell passes when at least one test of that language
carries the id and every such test passed; it fails when any of them failed, and is
missing when none ran. Skipped tests count as not run.

Exit status: 0 when every required cell passes, 1 when one does not, 2 when the results
cannot be read. Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = HERE / "scenarios.json"
RESULTS = ROOT / "target" / "conformance"

# The id as a word of its own: not glued to a letter or digit before it, no digit after.
# `_` counts as a separator (test_s01_x), a following letter does not glue (s01Connects).
ID = re.compile(r"(?<![A-Za-z0-9])[Ss](\d{2})(?!\d)")

PASS, FAIL, SKIP, MISSING = "pass", "FAIL", "skip", "missing"


class ResultsError(Exception):
    """A result file that exists but cannot be read: the check cannot be trusted."""


@dataclass
class Outcome:
    """One test as a suite reported it."""

    name: str  # the test's own name, where ids are looked for
    where: str  # file (and class) it came from, for messages
    status: str  # PASS, FAIL or SKIP


@dataclass
class Cell:
    outcomes: List[Outcome] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {o.status for o in self.outcomes}
        if FAIL in statuses:
            return FAIL
        if SKIP in statuses:
            return SKIP
        if PASS in statuses:
            return PASS
        return MISSING


def scenario_ids(name: str) -> List[str]:
    """Every scenario id a test name carries, as S01…S99."""
    return [f"S{m.group(1)}" for m in ID.finditer(name)]


# ---- readers, one per result format --------------------------------------------------


def own_name(name: str) -> str:
    """The test's own name from a dotted full name (NUnit 2 prints Namespace.Class.Method)."""
    head = name.split("(", 1)[0]
    return head.rsplit(".", 1)[-1] + name[len(head):]


def junit_status(case: ET.Element) -> str:
    if case.find("failure") is not None or case.find("error") is not None:
        return FAIL
    if case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
        return SKIP
    return PASS


def read_junit(root: ET.Element, source: str) -> List[Outcome]:
    """JUnit XML as pytest, node --test, Maven surefire and ctest --output-junit write it."""
    outcomes = []
    for case in root.iter("testcase"):
        where = f"{source} {case.get('classname', '')}".strip()
        outcomes.append(Outcome(case.get("name", ""), where, junit_status(case)))
    # node --test writes a test with subtests as a nested <testsuite> named after the test:
    # it counts as one test, failed when any of its subtests failed. (A root <testsuite> is
    # a file or class, whose name does not count.)
    for suite in root.iter("testsuite"):
        if suite is root or not scenario_ids(suite.get("name", "")):
            continue
        cases = [junit_status(c) for c in suite.iter("testcase")]
        status = FAIL if FAIL in cases else SKIP if SKIP in cases or not cases else PASS
        outcomes.append(Outcome(suite.get("name", ""), f"{source} (subtests)", status))
    return outcomes


NUNIT_PASS = {"Success"}
NUNIT_SKIP = {"Ignored", "Skipped", "NotRunnable", "Inconclusive", "Cancelled"}


def read_nunit2(root: ET.Element, source: str) -> List[Outcome]:
    """NUnit 2.x TestResult.xml (nunit-console -xml)."""
    outcomes = []
    for case in root.iter("test-case"):
        full = case.get("name", "")
        result = case.get("result", "")
        if case.get("executed") == "False" or result in NUNIT_SKIP:
            status = SKIP
        elif result in NUNIT_PASS and case.get("success", "True") == "True":
            status = PASS
        else:
            status = FAIL
        outcomes.append(Outcome(own_name(full), f"{source} {full}", status))
    return outcomes


LIBTEST_RUNNING = re.compile(r"^\s*Running (?:unittests )?(\S+)")
LIBTEST_LINE = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)\b")
LIBTEST_FAILURES = re.compile(r"^failures:\s*$")
LIBTEST_FAILED_NAME = re.compile(r"^    (\S+)$")


def read_libtest(text: str, source: str) -> List[Outcome]:
    """`cargo test` output (libtest's human format) captured to a file.

    Per test binary: ``test NAME ... ok|FAILED|ignored`` lines, and at the end, when
    something failed, a ``failures:`` list of names (which also catches a result line
    that a child process' output split in two).
    """
    outcomes: Dict[Tuple[str, str], Outcome] = {}
    binary = "?"
    in_failures = False
    for line in text.splitlines():
        running = LIBTEST_RUNNING.match(line)
        if running:
            binary, in_failures = running.group(1), False
            continue
        result = LIBTEST_LINE.match(line)
        if result:
            name, word = result.groups()
            status = {"ok": PASS, "FAILED": FAIL, "ignored": SKIP}[word]
            outcomes[(binary, name)] = Outcome(name, f"{source} {binary}", status)
            continue
        if LIBTEST_FAILURES.match(line):
            in_failures = True
            continue
        if in_failures:
            failed = LIBTEST_FAILED_NAME.match(line)
            if failed:
                name = failed.group(1)
                outcomes[(binary, name)] = Outcome(name, f"{source} {binary}", FAIL)
            elif line.strip() and not line.startswith("----"):
                in_failures = False
    return list(outcomes.values())


def read_file(path: Path) -> List[Outcome]:
    source = path.name
    if path.suffix == ".xml":
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            raise ResultsError(f"{path}: not well-formed XML ({e})") from e
        if root.tag in ("testsuites", "testsuite"):
            return read_junit(root, source)
        if root.tag == "test-results":
            return read_nunit2(root, source)
        raise ResultsError(f"{path}: unknown result format <{root.tag}>")
    if path.suffix in (".log", ".txt"):
        return read_libtest(path.read_text(encoding="utf-8", errors="replace"), source)
    raise ResultsError(f"{path}: unknown result file type (expected .xml, .log or .txt)")


def read_language(directory: Path) -> Tuple[List[Outcome], List[Path]]:
    files = sorted(p for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else []
    outcomes: List[Outcome] = []
    for path in files:
        outcomes.extend(read_file(path))
    return outcomes, files


# ---- the matrix -----------------------------------------------------------------------


def parse_require(spec: str, known: Sequence[str]) -> List[str]:
    """'all', or ids and ranges: 'S01-S13', 'S01-S13,S20'."""
    if spec.strip().lower() == "all":
        return list(known)
    wanted: List[str] = []
    for part in spec.split(","):
        part = part.strip().upper()
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) > 2 or not all(re.fullmatch(r"S\d{2}", b) for b in bounds):
            raise ValueError(f"--require: cannot read {part!r} (expected e.g. S01-S13,S20 or all)")
        low, high = bounds[0], bounds[-1]
        chosen = [s for s in known if low <= s <= high]
        if low not in known or high not in known:
            raise ValueError(f"--require: {part} names a scenario that scenarios.json does not list")
        wanted.extend(s for s in chosen if s not in wanted)
    return wanted


@dataclass
class Matrix:
    languages: List[str]
    scenarios: List[dict]
    cells: Dict[Tuple[str, str], Cell]
    files: Dict[str, List[Path]]
    unknown: Dict[str, List[Outcome]]

    def status(self, language: str, scenario: str) -> str:
        return self.cells[(language, scenario)].status


def build(results: Path, scenarios_file: Path) -> Matrix:
    spec = json.loads(scenarios_file.read_text(encoding="utf-8"))
    languages: List[str] = spec["languages"]
    scenarios: List[dict] = spec["scenarios"]
    known = {s["id"] for s in scenarios}
    cells = {(lang, s["id"]): Cell() for lang in languages for s in scenarios}
    files: Dict[str, List[Path]] = {}
    unknown: Dict[str, List[Outcome]] = {}
    for lang in languages:
        outcomes, files[lang] = read_language(results / lang)
        for outcome in outcomes:
            for sid in scenario_ids(outcome.name):
                if sid in known:
                    cells[(lang, sid)].outcomes.append(outcome)
                else:
                    unknown.setdefault(lang, []).append(outcome)
    return Matrix(languages, scenarios, cells, files, unknown)


def render(matrix: Matrix, required: Iterable[str], results: Path) -> Tuple[str, List[str]]:
    """The table, and one line per required cell that does not pass."""
    required = set(required)
    width = max(len(l) for l in matrix.languages) + 1
    width = max(width, 8)
    lines = ["conformance matrix (" + str(results) + ")", ""]
    header = "    " + "".join(l.ljust(width) for l in matrix.languages) + "scenario"
    lines.append(header)
    problems: List[str] = []
    for scenario in matrix.scenarios:
        sid = scenario["id"]
        row = []
        for lang in matrix.languages:
            status = matrix.status(lang, sid)
            row.append(status.ljust(width))
            if sid in required and status != PASS:
                cell = matrix.cells[(lang, sid)]
                bad = [o for o in cell.outcomes if o.status != PASS]
                detail = "; ".join(f"{o.name} [{o.status}] ({o.where})" for o in bad[:5])
                problems.append(f"{lang} {sid}: {status}" + (f" — {detail}" if detail else ""))
        mark = "*" if sid in required else " "
        lines.append(f"{sid}{mark} " + "".join(row) + scenario.get("title", ""))
    lines.append("")
    lines.append("* required. A test covers a scenario when its own name carries the id (S14…, s14_…).")
    for lang in matrix.languages:
        if not matrix.files[lang]:
            lines.append(f"note: no results for {lang} under {results / lang} (suite not run?)")
    for lang, outcomes in sorted(matrix.unknown.items()):
        names = sorted({o.name for o in outcomes})
        lines.append(f"note: {lang} tests carry ids that scenarios.json does not list: {', '.join(names[:5])}")
    return "\n".join(lines), problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="directory with one folder of result files per language (default: target/conformance)")
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS, help="scenarios.json")
    parser.add_argument("--require", default="all",
                        help="cells that must pass: 'all' (default) or ids and ranges, e.g. S01-S13,S20")
    args = parser.parse_args(argv)
    try:
        matrix = build(args.results, args.scenarios)
        required = parse_require(args.require, [s["id"] for s in matrix.scenarios])
    except (ResultsError, ValueError, OSError, KeyError) as e:
        print(f"conformance: cannot build the matrix: {e}", file=sys.stderr)
        return 2
    table, problems = render(matrix, required, args.results)
    print(table)
    cells = len(required) * len(matrix.languages)
    if problems:
        print(f"\nconformance: {cells - len(problems)} of {cells} required cells pass; these do not:")
        for problem in problems:
            print("  " + problem)
        return 1
    print(f"\nconformance: all {cells} required cells pass ({args.require})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
