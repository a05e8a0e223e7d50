"""Known-vulnerability audit of every package installed in this environment.

pip-audit is the auditor. Where its data source cannot be reached (it asks PyPI's per-release
JSON, ``/pypi/<name>/<version>/json``, and OSV; some networks let neither through), it
reports "could not be audited" for a package and still exits 0 with "No known
vulnerabilities found". This script never lets that pass silently: each package pip-audit
skipped is looked up in PyPI's *project* JSON (``/pypi/<name>/json``), whose
``vulnerabilities`` list is PyPI's advisory data for the project's latest release. When the
installed version is that latest release, the answer is as good as pip-audit's own. Any
other package is listed as "not verified here", with how far it is from a newer release.

Exit status: 1 when any known vulnerability affects an installed version; 2 when no package
could be checked at all (no advisory data reachable); else 0.

    python tools/audit_dependencies.py [--json FILE] [--pip-audit PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
FETCH_TIMEOUT_S = 20

AUDITED = "audited by pip-audit"
VERIFIED_LATEST = "verified: latest release"
UNVERIFIED = "not verified here"
VULNERABLE = "VULNERABLE"


@dataclass
class PackageAudit:
    name: str
    version: str
    status: str
    vulnerabilities: list[str] = field(default_factory=list)
    detail: str = ""


def installed_packages() -> dict[str, str]:
    """Canonical name -> public version of every distribution in this interpreter's environment."""
    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[canonicalize_name(name)] = _public(dist.version)
    return packages


def run_pip_audit(pip_audit: str) -> dict[str, dict]:
    """pip-audit's verdict per canonical package name: its ``vulns`` or its ``skip_reason``
    (nothing when pip-audit could not produce a report at all)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "pip-audit.json"
        command = [pip_audit, "--local", "--format", "json", "--progress-spinner", "off", "--output", str(report)]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, check=False)
            reason = completed.stderr.strip() or completed.stdout.strip()
        except OSError as exc:
            reason = str(exc)
        if not report.exists():
            # pip-audit failing must not end the audit: every package then goes to the PyPI fallback.
            print(f"pip-audit gave no report ({reason[-300:]}); checking every package with PyPI.", file=sys.stderr)
            return {}
        dependencies = json.loads(report.read_text())["dependencies"]
    return {canonicalize_name(dep["name"]): dep for dep in dependencies}


def fetch_project_json(name: str) -> dict | None:
    """PyPI's project JSON, or None when PyPI cannot be reached or does not know the project."""
    url = PYPI_PROJECT_JSON.format(name=name)
    for _attempt in range(2):
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError):
            pass
    return None


def audit(
    installed: dict[str, str],
    pip_audit_results: dict[str, dict],
    fetch: Callable[[str], dict | None] | None = None,
    python_version: str | None = None,
) -> list[PackageAudit]:
    fetch = fetch or fetch_project_json
    python_version = python_version or ".".join(map(str, sys.version_info[:3]))
    results: dict[str, PackageAudit] = {}
    fallback = []
    for name, version in sorted(installed.items()):
        verdict = pip_audit_results.get(name)
        if verdict is not None and "skip_reason" not in verdict:
            vulns = [v["id"] for v in verdict.get("vulns", [])]
            results[name] = PackageAudit(name, version, VULNERABLE if vulns else AUDITED, vulns)
        else:
            fallback.append(name)

    with ThreadPoolExecutor(max_workers=8) as pool:
        projects = dict(zip(fallback, pool.map(fetch, fallback), strict=True))
    for name in fallback:
        results[name] = judge_from_project_json(name, installed[name], projects[name], python_version)
    return [results[name] for name in sorted(results)]


def judge_from_project_json(name: str, version: str, project: dict | None, python_version: str) -> PackageAudit:
    if project is None:
        return PackageAudit(name, version, UNVERIFIED, detail="not on PyPI or PyPI unreachable")
    latest = _public(project["info"]["version"])
    known = [v["id"] for v in project.get("vulnerabilities") or []]
    if _same_version(version, latest):
        if known:
            return PackageAudit(name, version, VULNERABLE, known)
        return PackageAudit(name, version, VERIFIED_LATEST)
    return PackageAudit(
        name, version, UNVERIFIED, detail=_distance_to_newer(version, latest, known, project, python_version)
    )


def _distance_to_newer(
    version: str, latest: str, known_on_latest: list[str], project: dict, python_version: str
) -> str:
    releases = list(_installable_releases(project, python_version))
    parts = [f"latest {latest}" + (f" ({len(known_on_latest)} known vulnerabilities)" if known_on_latest else "")]
    newest_here = max(releases, default=None)
    if newest_here is not None and _same_version(version, str(newest_here)):
        parts.append(f"newest release for Python {python_version}")
    else:
        current = _parse(version)
        if current is not None:
            series = [r for r in releases if r.release[:2] == current.release[:2]]
            newest_in_series = max(series, default=None)
            if newest_in_series is not None and newest_in_series <= current:
                parts.append(f"newest {current.major}.{current.minor}.x release")
            elif newest_in_series is not None:
                parts.append(f"newer {current.major}.{current.minor}.x release: {newest_in_series}")
    return "; ".join(parts)


def _installable_releases(project: dict, python_version: str) -> Iterable[Version]:
    for raw, files in project.get("releases", {}).items():
        version = _parse(raw)
        live_files = [f for f in files if not f.get("yanked")]
        if version is None or version.is_prerelease or not live_files:
            continue
        if any(_admits(f.get("requires_python"), python_version) for f in live_files):
            yield version


def _admits(requires_python: str | None, python_version: str) -> bool:
    if not requires_python:
        return True
    try:
        return SpecifierSet(requires_python).contains(python_version)
    except InvalidSpecifier:
        return True


def _parse(raw: str) -> Version | None:
    try:
        return Version(raw)
    except InvalidVersion:
        return None


def _public(raw: str) -> str:
    parsed = _parse(raw)
    return parsed.public if parsed is not None else raw


def _same_version(a: str, b: str) -> bool:
    """Equal as releases: 2.13.0+cpu is 2.13.0, and 1.0 is 1.0.0."""
    pa, pb = _parse(a), _parse(b)
    if pa is None or pb is None:
        return a == b
    return Version(pa.public) == Version(pb.public)


def print_table(results: list[PackageAudit]) -> None:
    width = max(len(r.name) for r in results)
    for r in results:
        if r.status in (VULNERABLE, UNVERIFIED):
            extra = ", ".join(r.vulnerabilities) or r.detail
            print(f"{r.name:<{width}}  {r.version:<14}  {r.status}: {extra}")
    counts = {
        status: sum(r.status == status for r in results)
        for status in (AUDITED, VERIFIED_LATEST, UNVERIFIED, VULNERABLE)
    }
    print(
        f"\n{len(results)} packages: {counts[AUDITED]} {AUDITED}, {counts[VERIFIED_LATEST]} {VERIFIED_LATEST} "
        f"(PyPI advisory data), {counts[UNVERIFIED]} {UNVERIFIED}, {counts[VULNERABLE]} with known vulnerabilities."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write every package's result to FILE")
    parser.add_argument("--pip-audit", default=str(Path(sys.executable).with_name("pip-audit")))
    args = parser.parse_args(argv)

    results = audit(installed_packages(), run_pip_audit(args.pip_audit))
    print_table(results)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False))
    if any(r.status == VULNERABLE for r in results):
        return 1
    if all(r.status == UNVERIFIED for r in results):
        print("No advisory data could be reached: nothing was audited.", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
