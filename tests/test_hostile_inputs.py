"""Hostile input that used to be a 500: deep JSON, integers beyond 64 bits, Unicode digits in
path ids, deleting what other records use, and implausible titles, amounts and dates. Each is
now a 4xx in the one error format, naming the parameter or field, and changes nothing."""

from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from achievements.models import Achievement
from core.ids import IdConverter
from enterprises.models import TechnologyNeed
from events.models import MatchmakingEvent, Room, Venue

from .enterprises.test_needs_api import VALID as NEED
from .factories import make_achievement, make_need

BIG = str(2**64)  # beyond 64 bits: OverflowError on SQLite


def error_of(response, status):
    assert response.status_code == status, response.content[:300]
    return response.json()["error"]


@pytest.mark.parametrize("depth", [1000, 100_000, 40])
def test_deeply_nested_json_is_a_400(as_user, world, depth):
    body = "[" * depth + "]" * depth
    response = as_user("ent_a").post(
        "/api/v1/needs/", data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    error = error_of(response, 400)
    assert error["code"] == "parse_error"
    assert error["message"] == "The JSON body is nested more than 32 levels deep."
    assert TechnologyNeed.objects.count() == 0


def test_nesting_within_the_limit_is_parsed_as_usual(as_user, world):
    response = as_user("ent_a").post("/api/v1/needs/", {**NEED, "keywords": [["a"]]}, format="json")
    assert list(error_of(response, 400)["fields"]) == ["keywords"]  # an ordinary field error


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        (f"/api/v1/achievements/?institution={BIG}", "institution"),
        (f"/api/v1/needs/?enterprise={BIG}", "enterprise"),
        (f"/api/v1/matches/?need={BIG}", "need"),
        (f"/api/v1/matches/?achievement=-{BIG}", "achievement"),
        (f"/api/v1/experts/?institution={BIG}", "institution"),
        ("/api/v1/achievements/?page_size=abc", "page_size"),
        ("/api/v1/achievements/?page_size=0", "page_size"),
        ("/api/v1/reports/kpi/?year=²⁰²⁶", "year"),
        ("/api/v1/achievements/?created_after=0001-01-01T00:00:00%2B14:00", "created_after"),
        ("/api/v1/needs/?published_after=9999-12-31T23:59:59-14:00", "published_after"),
        ("/api/v1/needs/?deadline_before=0001-01-01", "deadline_before"),
    ],
)
def test_out_of_range_numbers_in_the_query_are_a_400_naming_the_parameter(as_user, world, url, parameter):
    make_achievement(world.inst_a)
    error = error_of(as_user("admin").get(url, HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [parameter]


@pytest.mark.parametrize("size", ["100000", BIG, "9" * 5000])
def test_a_page_size_above_the_maximum_is_cut_to_it(as_user, world, size):
    for i in range(3):
        make_achievement(world.inst_a, title=f"成果{i}")
    body = as_user("admin").get(f"/api/v1/achievements/?page_size={size}").json()
    assert (body["count"], len(body["results"])) == (3, 3)


def test_a_page_beyond_the_last_is_a_404_however_large(as_user, world):
    make_achievement(world.inst_a)
    for page in ("2", BIG, "9" * 5000):
        assert as_user("admin").get(f"/api/v1/achievements/?page={page}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/bids/²/",
        "/api/v1/achievements/²/",
        "/api/v1/achievements/١/",  # an Arabic-Indic one
        f"/api/v1/achievements/{BIG}/",
        f"/api/v1/needs/{BIG}/matches/",
        f"/api/v1/events/{BIG}/meetings/{BIG}/rate/",
        "/api/v1/achievements/0/",
    ],
)
def test_a_path_id_that_is_not_a_valid_id_is_a_404_like_any_missing_object(as_user, world, path):
    make_achievement(world.inst_a)
    assert error_of(as_user("admin").get(path), 404)["code"] == "not_found"


def test_a_web_page_with_an_impossible_id_is_a_404(client, world):
    client.force_login(world.users["inst_a"])
    assert client.get(f"/institution/achievements/{BIG}/").status_code == 404
    client.force_login(world.users["organiser"])
    assert client.get(f"/organiser/events/{BIG}/").status_code == 404


def _id_converters(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _id_converters(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern.converters


def test_every_id_in_a_path_goes_through_the_one_id_converter():
    checked = 0
    for route, converters in _id_converters(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # Django's admin has its own object lookup
        assert "(?P<" not in route, route  # no hand-written regex for an id
        for name, converter in converters.items():
            if name in ("job_id", "uidb64", "token"):  # a job's random token; Django's password reset
                continue
            assert isinstance(converter, IdConverter), (route, name, converter)
            checked += 1
    assert checked > 60


def test_web_query_numbers_beyond_range_do_not_crash_pages(client, world):
    client.force_login(world.users["organiser"])
    for query in (f"year={BIG}&month=1", "year=9999&month=12", "year=²&month=²", "year=2026&month=13"):
        response = client.get(f"/organiser/calendar/?{query}")
        assert response.status_code == 200, query
    client.force_login(world.users["admin"])
    assert client.get("/dashboard/?year=²").status_code == 200


def test_deleting_a_room_an_event_uses_is_a_409_saying_what_uses_it(as_user, world):
    room = Room.objects.create(venue=Venue.objects.create(name="科创岛"), name="一号厅", capacity=80, tables=10)
    start = timezone.now() + timedelta(days=5)
    MatchmakingEvent.objects.create(
        title="新能源专场",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        organiser=world.users["organiser"],
        room=room,
    )
    error = error_of(as_user("organiser").delete(f"/api/v1/rooms/{room.pk}/", HTTP_ACCEPT_LANGUAGE="en"), 409)
    assert error["code"] == "in_use"
    assert error["used_by"] == [{"kind": "events.matchmakingevent", "name": "matchmaking event", "count": 1}]
    assert "1 matchmaking event" in error["message"]
    assert Room.objects.filter(pk=room.pk).exists()
    assert MatchmakingEvent.objects.get().room_id == room.pk


@pytest.mark.parametrize(
    ("change", "field", "message_part"),
    [
        ({"title": "带\x07响铃"}, "title", "control character U+0007"),
        ({"title": "换行\n标题"}, "title", "control character U+000A"),
        ({"title": "倒序\u202e标题"}, "title", "control character U+202E"),
        ({"description": "空字符\x00"}, "description", "Null characters are not allowed"),
        ({"description": "退格\x08"}, "description", "control character U+0008"),
        ({"deadline": "2101-01-01"}, "deadline", "between 2000-01-01 and 2100-12-31"),
        ({"deadline": "9999-12-31"}, "deadline", "between 2000-01-01 and 2100-12-31"),
        ({"budget_max": "9999999999"}, "budget_max", "less than or equal to 1000000"),
        ({"budget_min": "-1"}, "budget_min", "greater than or equal to 0"),
    ],
)
def test_implausible_values_are_a_400_naming_the_field_and_change_nothing(as_user, world, change, field, message_part):
    need = make_need(world.ent_a, title="原标题")
    before = TechnologyNeed.objects.values().get(pk=need.pk)
    response = as_user("ent_a").patch(f"/api/v1/needs/{need.pk}/", change, format="json", HTTP_ACCEPT_LANGUAGE="en")
    error = error_of(response, 400)
    assert list(error["fields"]) == [field]
    assert message_part in error["fields"][field][0]
    assert TechnologyNeed.objects.values().get(pk=need.pk) == before


def test_the_same_rules_hold_on_create_and_for_achievements(as_user, world):
    response = as_user("ent_a").post("/api/v1/needs/", {**NEED, "title": "标题\x1b[31m"}, format="json")
    assert list(error_of(response, 400)["fields"]) == ["title"]
    achievement = make_achievement(world.inst_a, title="原成果")
    response = as_user("inst_a").patch(
        f"/api/v1/achievements/{achievement.pk}/", {"asking_price_max": "5000000"}, format="json"
    )
    assert list(error_of(response, 400)["fields"]) == ["asking_price_max"]
    assert Achievement.objects.get(pk=achievement.pk).asking_price_max == achievement.asking_price_max
    assert TechnologyNeed.objects.count() == 0


def test_a_budget_range_the_wrong_way_round_is_a_readable_400(as_user, world):
    """It used to name the database constraint ("need_budget_range_ordered")."""
    response = as_user("ent_a").post(
        "/api/v1/needs/", {**NEED, "budget_min": "500", "budget_max": "100"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    body = error_of(response, 400)
    assert "range_ordered" not in str(body)
    assert "The lowest budget is above the highest." in str(body)
    assert not TechnologyNeed.objects.exists()
    chinese = as_user("ent_a").post("/api/v1/needs/", {**NEED, "budget_min": "500", "budget_max": "100"}, format="json")
    assert "最低预算高于最高预算" in str(error_of(chinese, 400))


@pytest.mark.parametrize("blank", ["\u200b\u200b\u200b", "\u3000\u200d", "\ufeff"])
def test_a_title_or_description_of_invisible_characters_is_refused(as_user, world, blank):
    response = as_user("ent_a").post(
        "/api/v1/needs/", {**NEED, "title": blank, "description": blank}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert set(error_of(response, 400)["fields"]) >= {"title", "description"}
    assert not TechnologyNeed.objects.exists()
