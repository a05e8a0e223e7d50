"""schemathesis against the committed OpenAPI schema and the live application, on every
operation, as each role: zero server errors, zero responses that break the schema (bodies and
content types), for valid and for malformed input. The number of generated cases is printed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from .factories import make_achievement, make_need

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
ROLES = [None, "inst_a", "inst_b", "ent_a", "ent_b", "broker", "organiser", "admin"]
EXAMPLES = 6  # per operation and role: about 750 cases a role, 6,000 in all
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def records(world, settings):
    make_achievement(world.inst_a, title="固态锂电池电解质")
    make_need(world.ent_a, title="寻求固态电池技术")
    make_need(world.ent_b, title="保密需求", confidentiality="brokers")
    return world


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_fuzz_every_operation(live_server, records, role, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text("")
    if role:  # schemathesis applies it as the schema's tokenAuth scheme (a plain -H header would be fuzzed away)
        key = Token.objects.create(user=records.users[role]).key
        config.write_text(f'[auth.openapi.tokenAuth]\napi_key = "Token {key}"\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            live_server.url,
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "20261127",
            "--phases",
            "examples,fuzzing",
            "--generation-deterministic",
            "--no-shrink",
            "--exclude-path-regex",
            "import$|attachments|auth/logout",  # uploads have their own tests; logout would end the session
            "--request-timeout",
            "30",
            "--warnings",
            "off",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    generated = re.search(r"(\d+) generated", result.stdout)
    print(f"{role or 'anonymous'}: {generated.group(0) if generated else 'no count'}")
    if result.returncode != 0:  # the whole report, for CI's artifacts
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"fuzz-{role or 'anonymous'}.txt").write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-6000:]
    assert generated and int(generated.group(1)) > 300
