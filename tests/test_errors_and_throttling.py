"""One JSON error format for every 4xx; throttling on auth and writes."""

import pytest

from achievements.models import Achievement


def assert_error_shape(body):
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_unauthenticated_gets_401_in_error_format(api, db):
    response = api.get("/api/v1/achievements/")
    assert response.status_code == 401
    assert_error_shape(response.json())
    assert response.json()["error"]["code"] == "not_authenticated"


def test_malformed_json_gets_400(as_user, world):
    response = as_user("inst_a").post("/api/v1/achievements/", "{bad json", content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert response.json()["error"]["code"] == "parse_error"
    assert Achievement.objects.count() == 0


def test_wrong_content_type_gets_415(as_user, world):
    response = as_user("inst_a").post("/api/v1/achievements/", "title=x", content_type="text/plain")
    assert response.status_code == 415
    assert_error_shape(response.json())


def test_unknown_api_url_gets_json_404(as_user, world, settings):
    settings.DEBUG = False
    response = as_user("broker").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert_error_shape(response.json())


def test_method_not_allowed_in_error_format(as_user, world):
    response = as_user("broker").put("/api/v1/fields/", {}, format="json")
    assert response.status_code == 405
    assert_error_shape(response.json())


def test_validation_error_lists_fields_in_chinese_by_default(as_user, world):
    response = as_user("inst_a").post("/api/v1/achievements/", {}, format="json")
    error = response.json()["error"]
    assert error["message"] == "输入有误，请查看各字段的提示。"
    assert {"title", "abstract", "field"} <= set(error["fields"])


def test_login_returns_token_and_wrong_password_is_401(api, world):
    ok = api.post("/api/v1/auth/token/", {"username": "inst_a", "password": "secret-pass-123"}, format="json")
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    api.credentials(HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    assert api.get("/api/v1/me/").json()["role"] == "institution"
    api.credentials()
    bad = api.post("/api/v1/auth/token/", {"username": "inst_a", "password": "nope"}, format="json")
    assert bad.status_code == 401
    assert_error_shape(bad.json())


def test_login_is_throttled_per_address_whatever_x_forwarded_for_says(api, world):
    """10 sign-ins a minute per client address, right or wrong (wrong ones also lock out:
    tests/accounts/test_signin_lockout.py); a new X-Forwarded-For each time changes nothing."""
    statuses = [
        api.post(
            "/api/v1/auth/token/",
            {"username": "inst_a", "password": "secret-pass-123"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(11)
    ]
    assert statuses == [200] * 10 + [429]
    blocked = api.post("/api/v1/auth/token/", {"username": "inst_a", "password": "secret-pass-123"}, format="json")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"
    assert blocked.json()["error"]["retry_after_seconds"] > 0


def test_writes_are_throttled_but_reads_are_not(as_user, world, settings):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF reads the rates into a class attribute once; put the original back, or every later
    # test would run at 3 writes a minute.
    original_rates = SimpleRateThrottle.THROTTLE_RATES
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"writes": "3/min", "auth": "10/min"},
    }
    from rest_framework.settings import api_settings

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = as_user("inst_a")
        payload = {"abstract": "简介", "field": "new-energy", "trl": 4}
        statuses = [
            client.post("/api/v1/achievements/", {**payload, "title": f"成果{i}"}, format="json").status_code
            for i in range(4)
        ]
        assert statuses == [201, 201, 201, 429]
        assert Achievement.objects.count() == 3
        assert all(client.get("/api/v1/achievements/").status_code == 200 for _ in range(5))
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original_rates


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "x" * 100_000, "abstract": "a", "field": "new-energy", "trl": 5},
        {"title": 12, "abstract": ["list"], "field": {"code": 1}, "trl": "nine"},
        {"title": None, "abstract": None, "field": None, "trl": None},
    ],
)
def test_wrong_types_and_huge_strings_get_field_errors(as_user, world, payload):
    response = as_user("inst_a").post("/api/v1/achievements/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]
    assert Achievement.objects.count() == 0
