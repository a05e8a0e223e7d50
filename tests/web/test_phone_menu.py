"""On a phone the header is one row: the menu folds behind a button that opens it; on a desktop
the menu is always there. Without the script the menu stays open (nothing is hidden for good)."""

import pytest

from .test_role_journeys import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_phone_menu_opens_behind_its_button_and_the_desktop_menu_is_always_there(live_server, page, world):
    sign_in(page, live_server, "ent_a")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/enterprise/needs/")
    button = page.locator(".menu-button")
    assert button.is_visible() and not page.locator("#site-nav").is_visible()
    assert page.locator("header.site").bounding_box()["height"] < 80  # one row, not a third of the screen
    button.click()
    assert page.locator("#site-nav").is_visible() and button.get_attribute("aria-expanded") == "true"
    page.locator("#site-nav a", has_text="通知").click()
    page.wait_for_url("**/notifications/")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("#site-nav").is_visible() and not button.is_visible()
