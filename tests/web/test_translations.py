"""Every web page in each language, as every role: an English page shows no Chinese and a
Chinese page no English phrase, apart from what users wrote (titles, names, descriptions: they are
taken out first) and the platform's proper nouns."""

import re

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from ..test_permission_matrix import _web_templates, _web_urls, planted  # noqa: F401 (a fixture)

ROLES = ["inst_a", "ent_a", "broker", "organiser", "admin"]
# the platform's own names and terms of the programme, kept in Chinese in English pages
CHINESE_PROPER_NOUNS = ["科创桥", "揭榜挂帅", "先使用后付费", "简体中文", "需求解构", "技术经理人", "科技成果"]
# words kept in English (or Latin letters) in Chinese pages
ENGLISH_PROPER_NOUNS = ["TechBridge", "English", "TRL", "API", "QR", "CSV", "PDF", "xlsx", "ics", "csv", "zip"]
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
ENGLISH_PHRASE = re.compile(r"[A-Za-z][a-z]+(?:[ \-'’][A-Za-z][a-z]+)+")
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}\b")  # a lone UI word ("Apply", "Shortlist") counts too
REFERENCE_MODELS = {"core.technicalfield", "core.district", "core.transfermode"}  # named in both languages


def _written_by_users() -> list[str]:
    """Every text value stored in the database outside the reference data: what users wrote."""
    values = set()
    for model in apps.get_models():
        if model._meta.label_lower in REFERENCE_MODELS:
            continue
        kinds = (models.CharField, models.TextField, models.JSONField)
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for value in _strings(row):
                if len(value) > 1:
                    values.add(value)
                    values.update(line for line in value.splitlines() if len(line) > 1)
    return sorted(values, key=len, reverse=True)


def _strings(value):
    """The strings in a value, JSON included (a bid's team members, a need's keywords)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<option[^>]*>(简体中文|English)</option>", " ", html)  # the language switch
    attributes = " ".join(re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', html))
    html = re.sub(r"</?(mark|strong|em|b|i|span|small|a)\b[^>]*>", "", html)  # inline: the text runs on
    text = re.sub(r"<[^>]+>", " ", html) + " " + attributes
    from html import unescape

    return unescape(text)


def _foreign(text: str, language: str, written: list[str]) -> list[str]:
    for value in written:
        text = text.replace(value, " ")
    if language == "en":
        for noun in CHINESE_PROPER_NOUNS:
            text = text.replace(noun, " ")
        return [m for m in CJK.findall(text) if CJK.sub("", m) != m and not re.fullmatch(r"[（）()：:，,、。·\s]+", m)]
    for noun in ENGLISH_PROPER_NOUNS:
        text = text.replace(noun, " ")
    return ENGLISH_PHRASE.findall(text) + ENGLISH_WORD.findall(ENGLISH_PHRASE.sub(" ", text))


def _pages():
    for route in _web_templates():
        if route.startswith(("admin", "jobs/", "api/")) or route.endswith((".ics", ".zip", "download/", "print/")):
            continue
        yield route


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_page_shows_the_other_language(world, planted, language):  # noqa: F811
    written = _written_by_users()
    found = {}
    clients = {}
    for role in ROLES:
        clients[role] = Client(HTTP_ACCEPT_LANGUAGE=language)
        clients[role].force_login(world.users[role])
    for route in _pages():
        for role in ROLES:
            for url in _web_urls(planted, route):  # each page once per role: the first of its rows it may open
                response = clients[role].get(url)
                if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                    continue
                for text in _foreign(_visible_text(response.content.decode()), language, written):
                    found.setdefault(text, f"{url} as {role}")
                break
    assert not found, "\n".join(f"{text!r}  ({where})" for text, where in sorted(found.items()))
