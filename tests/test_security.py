"""Security basics: headers and cookie flags, CSRF on every form, password validators, oversized
bodies refused, and no secret in the repository."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from enterprises.models import TechnologyNeed

from .test_settings import PRODUCTION, run_manage

ROOT = Path(__file__).resolve().parent.parent


def test_production_cookies_and_headers_are_strict():
    script = (
        "from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k) for k in "
        "['SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SECURE_HSTS_SECONDS',"
        "'SECURE_SSL_REDIRECT','SECURE_CONTENT_TYPE_NOSNIFF','X_FRAME_OPTIONS','SECURE_REFERRER_POLICY']}))"
    )
    result = run_manage("shell", "-c", script, **PRODUCTION)
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin",
    }


@pytest.mark.django_db
def test_responses_carry_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_every_post_form_has_a_csrf_token():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            assert "{% csrf_token %}" in form, f"{template.relative_to(ROOT)} has a POST form without csrf_token"


@pytest.mark.django_db
def test_a_form_post_without_the_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["ent_a"])
    response = client.post("/enterprise/needs/new/", {"title": "跨站请求伪造的需求"})
    assert response.status_code == 403 and not TechnologyNeed.objects.exists()


@pytest.mark.parametrize("password", ["12345678", "password", "qwertyuiop", "abc"])
def test_weak_passwords_are_refused(password, db):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.django_db
def test_an_oversized_body_is_refused_and_nothing_is_written(as_user, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = as_user("ent_a")
    body = {"title": "需求", "description": "很长" * 20_000, "field": "new-energy"}
    response = client.post("/api/v1/needs/", body, format="json")
    assert response.status_code in (400, 413)
    assert "error" in response.json() and not TechnologyNeed.objects.exists()


def test_no_secret_is_committed():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert ".env" not in files
    patterns = [
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        re.compile(r"AKIA[0-9A-Z]{16}"),
        re.compile(r"SECRET_KEY\s*=\s*['\"][^'\"]{20,}['\"]"),
        re.compile(r"(?i)password\s*=\s*['\"][^'\"]{12,}['\"]"),
    ]
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".xlsx", ".mo", ".json"} or not path.is_file() or name.startswith("tests/"):
            continue
        # The demo sign-in password is public on purpose (README); it is the one allowed literal.
        text = "\n".join(line for line in path.read_text(errors="ignore").splitlines() if "DEMO_PASSWORD" not in line)
        for pattern in patterns:
            assert not pattern.search(text), f"{name} looks like it holds a secret ({pattern.pattern})"
