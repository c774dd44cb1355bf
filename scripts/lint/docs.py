#!/usr/bin/env python3
"""`make lint-docs`: every relative link in the project's Markdown points at a file that exists,
and the top README links every page in docs/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def main() -> int:
    files = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, check=True, capture_output=True, text=True)
    problems = []
    for name in files.stdout.split():
        page = ROOT / name
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # a URL or an anchor on the same page
            if not (page.parent / target.split("#")[0]).exists():
                problems.append(f"{name}: the link to {target} points at nothing")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in sorted((ROOT / "docs").glob("*.md")):
        if f"(docs/{doc.name})" not in readme:
            problems.append(f"README.md does not link docs/{doc.name}")
    for p in problems:
        print(f"lint-docs: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"lint-docs: the links of {len(files.stdout.split())} Markdown files resolve; README links every docs page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
