"""pytest fixtures for a throw-away PostgreSQL with pgvector (see pgvector_server.py).

`pgvector_server` (session-scoped) starts one server for the whole run and stops it at the end
of the session, also when the run fails or is interrupted. When the server cannot start, the
tests that use it are skipped locally and fail with `CI=true`, where they must run."""

import os

import pytest

from .pgvector_server import PgvectorServer


@pytest.fixture(scope="session")
def pgvector_server():
    server = PgvectorServer()
    try:
        server.start()
    except Exception as exc:  # the binaries are missing, or the server did not start
        message = f"PostgreSQL with pgvector could not start: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pgvector_dsn(pgvector_server):
    return pgvector_server.dsn
