"""axe-core (from npm: `npm install`, as `make test` does) on every web page as each role, in
Chromium: no serious or critical violation; and at a phone's 390 px no page is wider than the screen."""

import os
from pathlib import Path

import pytest

from ..test_permission_matrix import _web_templates, _web_urls, planted  # noqa: F401 (a fixture)
from .test_role_journeys import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ["inst_a", "ent_a", "broker", "organiser", "admin"]
PHONE = {"width": 390, "height": 844}


def _pages(planted):  # noqa: F811
    for route in _web_templates():
        if route.startswith(("admin", "jobs/", "api/", "accounts/")) or route.endswith(
            (".ics", ".zip", "download/", ".xlsx")
        ):
            continue
        yield _web_urls(planted, route)


def _first_page(page, urls, base):
    """The first of a route's URLs this role may open (200), loaded in the page."""
    from playwright.sync_api import Error

    for url in urls:
        try:
            response = page.goto(base + url)
        except Error:  # an empty error answer (a POST-only page's 405)
            continue
        if response is not None and response.status == 200 and "text/html" in response.headers.get("content-type", ""):
            return url
    return None


@pytest.fixture
def axe_source():
    if not AXE.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("axe-core is missing: run `npm install`")
        pytest.skip("axe-core is not installed (npm install)")
    return AXE.read_text()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_and_fits_a_phone(live_server, browser, world, planted, axe_source, role):  # noqa: F811
    for user in world.users.values():
        user.set_password("secret-pass-123")
        user.save()
    violations, too_wide = {}, {}
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        sign_in(page, live_server, role)
        for urls in _pages(planted):
            url = _first_page(page, urls, live_server.url)
            if url is None:
                continue
            if viewport is PHONE:
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"] + 1:
                    too_wide[url] = width
                continue
            page.add_script_tag(content=axe_source)
            found = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
            )
            if found:
                violations[url] = found
        context.close()
    assert not violations, "\n".join(f"{url}: {v}" for url, found in violations.items() for v in found)
    assert not too_wide, f"wider than a 390 px phone: {too_wide}"
