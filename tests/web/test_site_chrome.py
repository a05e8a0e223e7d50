"""What every page carries: the site's icon, also for pages that do not link it."""

from django.test import Client


def test_every_page_has_the_sites_icon(world):
    client = Client()
    client.force_login(world.users["admin"])
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_every_page_starts_with_a_skip_link_to_the_content(world):
    from .clients import client_for

    page = client_for(world, "broker").get("/broker/inbox/").content.decode()
    body = page[page.index("<body>") :]
    assert body.index('class="skip-link" href="#main"') < body.index("<header") < body.index('<main id="main"')
