from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_committed_openapi_schema_matches_the_code(tmp_path, db):
    fresh = tmp_path / "openapi.yaml"
    # in the language `make schema` writes it in, whatever an earlier test left active
    with translation.override(settings.LANGUAGE_CODE):
        call_command("spectacular", "--file", str(fresh), "--validate", "--fail-on-warn")
    assert yaml.safe_load(fresh.read_text()) == yaml.safe_load(COMMITTED.read_text()), (
        "openapi.yaml is out of date: run `make schema` and commit it"
    )


def test_schema_and_offline_swagger_ui_are_served(as_user, world):
    client = as_user("broker")
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/achievements/import/" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
