#!/usr/bin/env python3
"""One version for every package: checks (`make lint-versions`) or sets it.

    python3 scripts/check-versions.py            fails naming each file that disagrees
    python3 scripts/check-versions.py --set 0.2.0  writes 0.2.0 everywhere, then checks

The version of record is `[workspace.package] version` in Cargo.toml; every Rust crate takes it
with `version.workspace = true`, the Python package takes it from Cargo (maturin, dynamic
version), and everything else that names it is listed below: npm package.json and
package-lock.json, Maven poms (the binding, its consumer test, the example), the NuGet nuspec and
csproj files, Makefiles, and the docs that show install commands with the version in them.
Files are found with `git ls-files`, so a new package.json or pom.xml is checked without
being added here.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?"


@dataclass(frozen=True)
class Site:
    """Files matching `glob` whose text must carry the version wherever `pattern` matches
    (group 1 is the version); `required` means at least one match per file."""

    glob: str
    pattern: str
    required: bool
    what: str


SITES = [
    Site("Cargo.toml", r'(?ms)^\[workspace\.package\].*?^version = "(' + SEMVER + ')"', True,
         "workspace version"),
    Site("Cargo.toml", r'(?m)^edgemodule(?:-[a-z]+)? = \{[^}\n]*version = "=?(' + SEMVER + ')"', False,
         "workspace dependency on a workspace crate"),
    # Maven: the project's own version, and every dev.edgemodule dependency or property.
    Site("*pom.xml", r"(?s)</modelVersion>.*?<version>(" + SEMVER + ")</version>", True, "project version"),
    Site("*pom.xml", r"(?s)<artifactId>edgemodule[^<]*</artifactId>\s*<version>(" + SEMVER + ")</version>",
         False, "dev.edgemodule artifact version"),
    Site("*pom.xml", r"<edgemodule\.version>(" + SEMVER + ")</edgemodule.version>", False,
         "edgemodule.version property"),
    # NuGet.
    Site("*.nuspec", r"<version>(" + SEMVER + ")</version>", True, "package version"),
    Site("*.csproj", r"<Version>(" + SEMVER + ")</Version>", False, "package version"),
    Site("*.csproj", r'Include="EdgeModule" Version="(' + SEMVER + ')"', False, "EdgeModule reference"),
    # Build files and docs that spell out a versioned artifact.
    Site("*Makefile", r"edgemodule-(" + SEMVER + r")\.(?:jar|tgz|nupkg)", False, "artifact name"),
    Site("*pom.xml", r"edgemodule-(" + SEMVER + r")\.jar", False, "artifact name"),
    Site("*.md", r"edgemodule-(" + SEMVER + r")\.(?:jar|tgz)", False, "artifact name"),
    Site("*.md", r"dev\.edgemodule:edgemodule:(" + SEMVER + ")", False, "Maven coordinates"),
    Site("*.md", r"(?s)<artifactId>edgemodule</artifactId>\s*<version>(" + SEMVER + ")</version>", False,
         "Maven dependency snippet"),
]
# Reports of past runs keep the file names they measured.
EXCLUDE = ["docs/benchmarks.md", "CHANGELOG.md"]


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True)
    return [f for f in out.stdout.splitlines() if (ROOT / f).is_file()]


def workspace_version() -> str:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    return str(cargo["workspace"]["package"]["version"])


def check_text_sites(files: list[str], version: str, problems: list[str]) -> int:
    checked = 0
    for site in SITES:
        for f in files:
            if f in EXCLUDE or not fnmatch.fnmatch(f, site.glob):
                continue
            text = (ROOT / f).read_text(encoding="utf-8")
            found = re.findall(site.pattern, text)
            if site.required and not found:
                problems.append(f"{f}: no {site.what} found")
            for v in found:
                checked += 1
                if v != version:
                    problems.append(f"{f}: {site.what} is {v}, the workspace version is {version}")
    return checked


def check_crates(files: list[str], version: str, problems: list[str]) -> int:
    checked = 0
    for f in files:
        if not f.endswith("Cargo.toml") or f == "Cargo.toml":
            continue
        package = tomllib.loads((ROOT / f).read_text()).get("package", {})
        v = package.get("version")
        checked += 1
        if v != {"workspace": True} and v != version:
            problems.append(f"{f}: package version is {v!r}; use `version.workspace = true`")
    return checked


def check_python(files: list[str], version: str, problems: list[str]) -> int:
    checked = 0
    for f in files:
        if not f.endswith("pyproject.toml"):
            continue
        project = tomllib.loads((ROOT / f).read_text()).get("project", {})
        checked += 1
        if "version" in project.get("dynamic", []):
            continue  # maturin takes it from Cargo.toml
        if project.get("version") != version:
            problems.append(f"{f}: version is {project.get('version')!r}, the workspace version is {version}")
    return checked


def check_npm(files: list[str], version: str, problems: list[str]) -> int:
    checked = 0
    for f in files:
        name = Path(f).name
        if name not in ("package.json", "package-lock.json"):
            continue
        data = json.loads((ROOT / f).read_text())
        if name == "package.json":
            entries = {"": data}
        else:
            # The project itself and any package of this repository it links to (file: paths).
            entries = {k: v for k, v in data.get("packages", {}).items() if "node_modules/" not in k}
            entries["(top level)"] = data
        for key, entry in entries.items():
            if "version" not in entry:
                continue  # private helper projects (tests, benchmarks) carry no version
            checked += 1
            if entry["version"] != version:
                where = f" ({key})" if key else ""
                problems.append(f"{f}{where}: version is {entry['version']}, the workspace version is {version}")
    return checked


def set_version(files: list[str], old: str, new: str) -> None:
    for f in files:
        npm = Path(f).name in ("package.json", "package-lock.json")
        if f in EXCLUDE or not (npm or any(fnmatch.fnmatch(f, site.glob) for site in SITES)):
            continue
        path = ROOT / f
        text = path.read_text(encoding="utf-8")
        updated = text
        if npm:
            updated = re.sub(r'("version": ")' + re.escape(old) + '"', r"\g<1>" + new + '"', updated)
        for site in SITES:
            if not fnmatch.fnmatch(f, site.glob):
                continue
            updated = re.sub(
                site.pattern,
                lambda m: m.group(0)[: m.start(1) - m.start(0)] + (new if m.group(1) == old else m.group(1))
                + m.group(0)[m.end(1) - m.start(0) :],
                updated,
            )
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"set {new} in {f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", metavar="VERSION", help="write VERSION everywhere")
    args = parser.parse_args()
    files = tracked_files()
    version = workspace_version()
    if args.set:
        if not re.fullmatch(SEMVER, args.set):
            parser.error(f"{args.set} is not a version like 1.2.3")
        set_version(files, version, args.set)
        version = workspace_version()
        print("Cargo.lock updates on the next cargo build; commit it with the rest.")
    problems: list[str] = []
    checked = check_text_sites(files, version, problems)
    checked += check_crates(files, version, problems)
    checked += check_python(files, version, problems)
    checked += check_npm(files, version, problems)
    if problems:
        for p in problems:
            print(f"check-versions: {p}", file=sys.stderr)
        print(f"check-versions: {len(problems)} place(s) disagree with {version}", file=sys.stderr)
        return 1
    print(f"check-versions: {checked} places agree on {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
