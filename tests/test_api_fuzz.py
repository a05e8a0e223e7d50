"""schemathesis against the committed OpenAPI schema and the live application, on every
operation, as each role: zero server errors, zero responses that break the schema (bodies and
content types), for valid and for malformed input. The number of generated cases is printed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from core.search import query_terms

from .factories import make_achievement, make_need

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
ROLES = [None, "inst_a", "inst_b", "ent_a", "ent_b", "broker", "organiser", "admin"]
EXAMPLES = 6  # per operation and role: 740-890 cases a role, about 6,700 in all
CHECKS = "all"  # every schemathesis check: server errors, status codes, content types, headers,
# response schemas, negative data rejected, positive data accepted, auth enforced, methods, ...

# positive_data_acceptance: schema-valid input must be accepted. Two kinds of refusal the schema
# cannot express are answered with a 400 naming the field, and accepted as such here only:
# - every write is checked against the records it names (a field code, an institution, a need, a
#   registration: which ids exist is not in the schema) and against the record's state (publishing
#   what is not a draft: the README's "invalid moves get a clear 400");
# - these reads filter by reference-data codes, and an unknown code is a 400, not an empty page.
WRITES = "POST|PATCH|PUT|DELETE"
CODE_FILTERED_READS = [
    "GET /api/v1/achievements/",
    "GET /api/v1/achievements/export/",
    "GET /api/v1/experts/",
    "GET /api/v1/needs/",
    "GET /api/v1/needs/export/",
    "GET /api/v1/enterprises/",
    "GET /api/v1/matches/",
]
REFUSED_BY_RULE = '["2xx", "3xx", "400", "401", "403", "404", "409", "429"]'
MAX_RESPONSE_SECONDS = 15  # generous: CI machines are shared; a cold jieba is warmed up below

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def records(world, settings):
    make_achievement(world.inst_a, title="固态锂电池电解质")
    make_need(world.ent_a, title="寻求固态电池技术")
    make_need(world.ent_b, title="保密需求", confidentiality="brokers")
    query_terms("预热")  # loads jieba's dictionary now, not inside the first search request
    return world


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_fuzz_every_operation(live_server, records, role, tmp_path):
    config = tmp_path / "schemathesis.toml"
    text = ""
    if role:  # schemathesis applies it as the schema's tokenAuth scheme (a plain -H header would be fuzzed away)
        key = Token.objects.create(user=records.users[role]).key
        text += f'[auth.openapi.tokenAuth]\napi_key = "Token {key}"\n'
    for selector in (f'include-method-regex = "^({WRITES})$"', f"include-name = {CODE_FILTERED_READS!r}"):
        text += f"\n[[operations]]\n{selector}\n"
        text += f"checks.positive_data_acceptance.expected-statuses = {REFUSED_BY_RULE}\n"
    config.write_text(text.replace("'", '"'))
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
            "--max-response-time",
            str(MAX_RESPONSE_SECONDS),
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
