"""The dependency audit: pip-audit's verdicts first, PyPI's project JSON for what it skipped."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import audit_dependencies as audit_mod
from tools.audit_dependencies import (
    AUDITED,
    UNVERIFIED,
    VERIFIED_LATEST,
    VULNERABLE,
    audit,
)

SKIPPED = {"skip_reason": "Dependency not found on PyPI and could not be audited"}


def release(requires_python=None, yanked=False):
    return [{"requires_python": requires_python, "yanked": yanked}]


def project(latest, releases, vulnerabilities=()):
    return {
        "info": {"version": latest},
        "releases": releases,
        "vulnerabilities": [{"id": v} for v in vulnerabilities],
    }


def by_name(results):
    return {r.name: r for r in results}


def test_pip_audit_verdicts_are_taken_as_they_are():
    results = by_name(
        audit(
            {"django": "5.2.1", "requests": "2.34.2"},
            {
                "django": {"name": "Django", "version": "5.2.1", "vulns": [{"id": "PYSEC-2025-1"}]},
                "requests": {"name": "requests", "version": "2.34.2", "vulns": []},
            },
            fetch=lambda name: pytest.fail(f"PyPI asked about {name} although pip-audit answered"),
        )
    )
    assert results["django"].status == VULNERABLE
    assert results["django"].vulnerabilities == ["PYSEC-2025-1"]
    assert results["requests"].status == AUDITED


def test_a_skipped_package_at_its_latest_release_is_judged_by_pypi_advisory_data():
    projects = {
        "clean": project("1.2.0", {"1.2.0": release()}),
        "bad": project("3.0.0", {"3.0.0": release()}, vulnerabilities=["GHSA-xxxx", "PYSEC-2026-9"]),
        "torch": project("2.13.0", {"2.13.0": release()}),
    }
    results = by_name(
        audit(
            {"clean": "1.2.0", "bad": "3.0.0", "torch": "2.13.0"},
            {"clean": SKIPPED, "bad": SKIPPED},  # torch: absent from pip-audit's report altogether
            fetch=projects.get,
        )
    )
    assert results["clean"].status == VERIFIED_LATEST
    assert results["bad"].status == VULNERABLE
    assert results["bad"].vulnerabilities == ["GHSA-xxxx", "PYSEC-2026-9"]
    assert results["torch"].status == VERIFIED_LATEST


def test_an_older_release_is_never_called_verified_and_says_how_far_behind_it_is():
    django = project(
        "6.1.3",
        {
            "6.1.3": release(">=3.12"),
            "6.2a1": release(">=3.12"),
            "5.2.19": release(">=3.10"),
            "5.2.18": release(">=3.10"),
        },
    )
    numpy = project(
        "2.5.5", {"2.5.5": release(">=3.12"), "2.4.6": release(">=3.11"), "2.4.7": release(">=3.11", yanked=True)}
    )
    dateutil = project("4.0.0", {"4.0.0": release(), "2.9.0.post0": release(), "2.9.1": release()})
    results = by_name(
        audit(
            {"django": "5.2.18", "numpy": "2.4.6", "python-dateutil": "2.9.0.post0", "unknown": "1.0"},
            {},
            fetch={"django": django, "numpy": numpy, "python-dateutil": dateutil}.get,
            python_version="3.11.7",
        )
    )
    assert {r.status for r in results.values()} == {UNVERIFIED}
    assert results["django"].detail == "latest 6.1.3; newer 5.2.x release: 5.2.19"
    assert results["numpy"].detail == "latest 2.5.5; newest release for Python 3.11.7"
    assert results["python-dateutil"].detail == "latest 4.0.0; newer 2.9.x release: 2.9.1"
    assert results["unknown"].detail == "not on PyPI or PyPI unreachable"


def test_a_local_version_label_does_not_hide_the_release():
    results = audit({"torch": "2.13.0+cpu"}, {}, fetch={"torch": project("2.13.0", {"2.13.0": release()})}.get)
    assert results[0].status == VERIFIED_LATEST


@pytest.mark.parametrize(
    ("pip_audit", "projects", "exit_code"),
    [
        ({"a": {"vulns": []}}, {}, 0),
        ({"a": {"vulns": [{"id": "PYSEC-1"}]}}, {}, 1),
        ({"a": SKIPPED}, {"a": project("1.0", {"1.0": release()}, ["GHSA-1"])}, 1),
        ({"a": SKIPPED}, {}, 2),  # nothing could be checked: never a silent pass
    ],
)
def test_exit_status(monkeypatch, tmp_path, capsys, pip_audit, projects, exit_code):
    monkeypatch.setattr(audit_mod, "installed_packages", lambda: {"a": "1.0"})
    monkeypatch.setattr(audit_mod, "run_pip_audit", lambda _path: pip_audit)
    monkeypatch.setattr(audit_mod, "fetch_project_json", projects.get)
    report = tmp_path / "audit.json"

    assert audit_mod.main(["--json", str(report)]) == exit_code
    written = json.loads(report.read_text())
    assert [row["name"] for row in written] == ["a"]
    assert "1 packages:" in capsys.readouterr().out


class _FakePyPI(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/pypi/known/json":
            body = json.dumps(project("1.0", {"1.0": release()})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


def test_fetch_reads_the_project_json_and_treats_unknown_projects_as_missing(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakePyPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(audit_mod, "PYPI_PROJECT_JSON", f"http://127.0.0.1:{server.server_port}/pypi/{{name}}/json")
        assert audit_mod.fetch_project_json("known")["info"]["version"] == "1.0"
        assert audit_mod.fetch_project_json("nope") is None
    finally:
        server.shutdown()


def fake_pip_audit(tmp_path, body):
    script = tmp_path / "pip-audit"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return str(script)


def test_pip_audit_report_is_read_by_canonical_name(tmp_path):
    report = json.dumps({"dependencies": [{"name": "Django", "version": "5.2.19", "vulns": []}], "fixes": []})
    # The report goes to the path after --output, the last argument.
    script = fake_pip_audit(tmp_path, f"for last; do :; done; printf '%s' '{report}' > \"$last\"\n")
    assert audit_mod.run_pip_audit(script) == {"django": {"name": "Django", "version": "5.2.19", "vulns": []}}


@pytest.mark.parametrize("broken", ["crashes", "missing"])
def test_a_pip_audit_that_gives_no_report_sends_every_package_to_pypi(tmp_path, capsys, broken):
    script = (
        fake_pip_audit(tmp_path, "echo 'ConnectionError: osv.dev' >&2; exit 1\n")
        if broken == "crashes"
        else "/nonexistent/pip-audit"
    )
    assert audit_mod.run_pip_audit(script) == {}
    assert "pip-audit gave no report" in capsys.readouterr().err
