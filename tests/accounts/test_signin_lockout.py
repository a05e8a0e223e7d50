"""Sign-in lockout (django-axes) on every credential check, by account and by client address, with
X-Forwarded-For believed only from trusted proxies; reset e-mails limited the same way."""

import itertools
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from core.net import client_ip

from ..factories import UserFactory

PASSWORD = "secret-pass-123"
LOCKED_ZH = "登录失败次数过多，请在 15 分钟后再试。"
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def token(client, username, password, **extra):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra)


def web_login(client, username, password, url="/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def test_forged_forwarded_for_does_not_escape_lockout_or_throttle(api, world):
    responses = [token(api, "inst_a", f"guess-{i}", HTTP_X_FORWARDED_FOR=next(_addresses)) for i in range(15)]
    statuses = [r.status_code for r in responses]
    codes = [r.json()["error"]["code"] for r in responses]
    # Locked by axes at the 5th failure; from the 11th the auth throttle (10/min per address) answers first.
    assert statuses == [401] * 4 + [429] * 11
    assert codes == ["authentication_failed"] * 4 + ["locked_out"] * 6 + ["throttled"] * 5
    assert responses[4].json()["error"]["message"] == LOCKED_ZH
    assert responses[4].json()["error"]["retry_after_seconds"] == 900
    assert responses[4]["Retry-After"] == "900"

    cache.clear()  # the throttle's counters go; the lockout stays
    blocked = token(api, "inst_a", PASSWORD, HTTP_X_FORWARDED_FOR=next(_addresses))
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "locked_out"
    assert not Token.objects.filter(user=world.users["inst_a"]).exists()


def test_right_password_after_web_lockout_is_refused(world):
    client = Client()
    statuses = [web_login(client, "inst_a", f"guess-{i}").status_code for i in range(5)]
    assert statuses == [200] * 4 + [429]
    blocked = web_login(client, "inst_a", PASSWORD)
    assert blocked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in blocked.templates]
    page = blocked.content.decode()
    assert LOCKED_ZH in page and "该账号或该网络地址的失败尝试过多" in page
    assert SESSION_KEY not in client.session


def test_lockout_page_is_translated_to_english(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for i in range(5):
        web_login(client, "inst_a", f"guess-{i}")
    blocked = web_login(client, "inst_a", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in blocked.content.decode()


def test_lockout_by_address_across_accounts(api, world, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 7
    names = ["inst_b", "ent_b", "broker", "nobody-1", "nobody-2", "nobody-3", "nobody-4"]
    assert [token(api, name, "wrong").status_code for name in names] == [401] * 6 + [429]
    # ent_a never failed, but this address is locked: even the right password is refused, on the web too.
    assert token(api, "ent_a", PASSWORD).status_code == 429
    assert web_login(Client(), "ent_a", PASSWORD).status_code == 429
    # From another address ent_a signs in.
    elsewhere = token(APIClient(), "ent_a", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert elsewhere.status_code == 200 and len(elsewhere.json()["token"]) == 40


def test_lockout_by_account_across_addresses(api, world):
    statuses = [token(api, "inst_a", "wrong", REMOTE_ADDR=next(_addresses)).status_code for _ in range(5)]
    assert statuses == [401] * 4 + [429]
    fresh = next(_addresses)
    assert token(api, "inst_a", PASSWORD, REMOTE_ADDR=fresh).status_code == 429
    assert token(api, "ent_a", PASSWORD, REMOTE_ADDR=fresh).status_code == 200


def test_admin_login_is_locked_out(world):
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    client = Client()
    statuses = [web_login(client, "staff", "wrong", url="/admin/login/").status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    blocked = web_login(client, "staff", PASSWORD, url="/admin/login/")
    assert blocked.status_code == 429
    assert LOCKED_ZH in blocked.content.decode()
    assert SESSION_KEY not in client.session


def test_lockout_ends_after_the_cool_off(api, world):
    for i in range(5):
        token(api, "inst_a", f"guess-{i}")
    cache.clear()
    assert token(api, "inst_a", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert token(api, "inst_a", PASSWORD).status_code == 200


def test_cool_off_follows_the_setting(api, world, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    settings.AXES_FAILURE_LIMIT = 2
    assert [token(api, "inst_a", "wrong").status_code for _ in range(2)] == [401, 429]
    locked = token(api, "inst_a", PASSWORD)
    assert locked.json()["error"]["message"] == "登录失败次数过多，请在 2 分钟后再试。"
    assert locked.json()["error"]["retry_after_seconds"] == 120
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=3))
    assert token(api, "inst_a", PASSWORD).status_code == 200


def test_success_clears_that_accounts_failures_from_that_address(api, world):
    assert [token(api, "inst_a", "wrong").status_code for _ in range(4)] == [401] * 4
    assert token(api, "inst_a", PASSWORD).status_code == 200
    assert not AccessAttempt.objects.exists()
    cache.clear()
    assert [token(api, "inst_a", "wrong").status_code for _ in range(5)] == [401] * 4 + [429]


def test_signing_in_to_ones_own_account_does_not_reset_guesses_at_another(api, world):
    """Axes' own reset-on-success clears every failure of the address: an attacker with any account
    could then guess at another account's password without end."""
    assert [token(api, "inst_a", "wrong").status_code for _ in range(4)] == [401] * 4
    assert token(api, "ent_a", PASSWORD).status_code == 200  # the attacker's own account
    assert AccessAttempt.objects.get(username="inst_a").failures_since_start == 4
    assert token(api, "inst_a", "wrong").status_code == 429


@pytest.mark.parametrize("url", ["/accounts/password_change/", "/admin/password_change/"])
def test_wrong_old_passwords_count_towards_the_lockout(world, url):
    user = UserFactory(username="staff", is_staff=True)
    client = Client()
    client.force_login(user)
    form = {"new_password1": "Another-pass-456", "new_password2": "Another-pass-456"}
    statuses = [client.post(url, {**form, "old_password": f"guess-{i}"}).status_code for i in range(5)]
    assert statuses == [200] * 4 + [429]
    blocked = client.post(url, {**form, "old_password": PASSWORD})
    assert blocked.status_code == 429
    assert LOCKED_ZH in blocked.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password("Another-pass-456")
    assert web_login(Client(), "staff", PASSWORD).status_code == 429  # the account is locked for sign-in too


@pytest.mark.parametrize("url", ["/accounts/password_change/", "/admin/password_change/"])
def test_password_change_with_the_right_old_password_works(world, url):
    user = UserFactory(username="staff", is_staff=True)
    client = Client()
    client.force_login(user)
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": "Another-pass-456", "new_password2": "Another-pass-456"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-pass-456")


def test_password_reset_mails_are_limited_per_address(world, settings):
    settings.PASSWORD_RESET_PER_HOUR = 3
    for name in ("inst_a", "inst_b", "ent_a", "ent_b"):
        User.objects.filter(username=name).update(email=f"{name}@example.cn")
    client = Client()
    statuses = [
        client.post("/accounts/password_reset/", {"email": f"{name}@example.cn"}).status_code
        for name in ("inst_a", "inst_b", "ent_a", "ent_b")
    ]
    assert statuses == [302, 302, 302, 429]
    assert sorted(m.to[0] for m in mail.outbox) == ["ent_a@example.cn", "inst_a@example.cn", "inst_b@example.cn"]
    # A forged X-Forwarded-For is no new address.
    forged = client.post("/accounts/password_reset/", {"email": "ent_b@example.cn"}, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert forged.status_code == 429
    assert "重置密码请求过多，请一小时后再试。" in forged.content.decode()
    assert len(mail.outbox) == 3


def test_password_reset_mails_are_limited_per_email_address(world, settings):
    settings.PASSWORD_RESET_PER_HOUR = 2
    User.objects.filter(username="inst_a").update(email="inst_a@example.cn")
    form = {"email": "Inst_A@example.cn"}
    statuses = [
        Client(REMOTE_ADDR=next(_addresses)).post("/accounts/password_reset/", form).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


# The client address ------------------------------------------------------------------------------


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("192.0.2.1", "203.0.113.5")) == "192.0.2.1"


def test_forwarded_for_is_ignored_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("192.0.2.1", "203.0.113.5")) == "192.0.2.1"


def test_forwarded_for_from_trusted_proxies_gives_the_first_untrusted_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.1"]
    # The client forged "6.6.6.6"; the outer proxy 172.16.0.1 appended the real 203.0.113.5.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5, 172.16.0.1")) == "203.0.113.5"
    assert client_ip(_request("10.0.0.2", "203.0.113.5")) == "203.0.113.5"
    assert client_ip(_request("10.0.0.2", "2001:db8::7")) == "2001:db8::7"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "10.0.0.9, 10.0.0.3")) == "10.0.0.9"  # all hops are ours
    assert client_ip(_request("10.0.0.2", "6.6.6.6, not-an-address")) == "10.0.0.2"


def test_behind_a_trusted_proxy_each_client_has_its_own_lockout(world, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    api = APIClient()
    attacker = [
        token(api, f"nobody-{i}", "wrong", HTTP_X_FORWARDED_FOR=f"{next(_addresses)}, 203.0.113.66", **proxy)
        for i in range(5)
    ]
    assert [r.status_code for r in attacker] == [401] * 4 + [429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}
    assert token(api, "ent_a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy).status_code == 429
    assert token(api, "ent_a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.77", **proxy).status_code == 200


def test_lockout_and_proxy_settings_come_from_the_environment():
    from ..test_settings import run_manage

    script = (
        "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.TRUSTED_PROXIES,"
        " s.PASSWORD_RESET_PER_HOUR, s.LOGIN_ADDRESS_FAILURE_LIMIT)"
    )
    defaults = run_manage("shell", "-c", script, DJANGO_DEBUG="true")
    assert defaults.stdout.strip().splitlines()[-1] == "5 0:15:00 [] 5 25"
    custom = run_manage(
        "shell",
        "-c",
        script,
        DJANGO_DEBUG="true",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="0",
        TRUSTED_PROXIES="10.0.0.1,172.16.0.0/12",
        PASSWORD_RESET_PER_HOUR="2",
        LOGIN_ADDRESS_FAILURE_LIMIT="9",
    )
    assert custom.stdout.strip().splitlines()[-1] == "3 None ['10.0.0.1', '172.16.0.0/12'] 2 9"


def test_admin_password_page_still_needs_a_staff_sign_in(world):
    response = Client().get("/admin/password_change/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_without_a_cool_off_the_lock_stays_until_an_admin_lifts_it(api, world, settings):
    settings.AXES_COOLOFF_TIME = None
    for i in range(5):
        token(api, "inst_a", f"guess-{i}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(days=30))
    locked = token(api, "inst_a", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == {
        "code": "locked_out",
        "message": "登录失败次数过多，请联系平台管理员解除锁定。",
        "fields": {},
    }
    from django.core.management import call_command

    call_command("axes_reset_username", "inst_a")
    assert token(api, "inst_a", PASSWORD).status_code == 200


# A new password ends the API sessions ------------------------------------------------------------


def test_changing_the_password_revokes_the_accounts_api_tokens(world):
    user = UserFactory(username="holder")
    other = UserFactory(username="bystander")
    stolen, kept = Token.objects.create(user=user), Token.objects.create(user=other)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {stolen.key}")
    assert api.get("/api/v1/me/").status_code == 200
    client = Client()
    client.force_login(user)
    changed = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Another-pass-456", "new_password2": "Another-pass-456"},
    )
    assert changed.status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    assert list(Token.objects.values_list("key", flat=True)) == [kept.key]


def test_resetting_the_password_by_e_mail_revokes_the_tokens(world):
    user = UserFactory(username="holder", email="holder@example.cn")
    Token.objects.create(user=user)
    client = Client()
    client.post("/accounts/password_reset/", {"email": "holder@example.cn"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    form_page = client.get(link[link.index("/accounts/") :], follow=True)
    new = {"new_password1": "Reset-pass-789", "new_password2": "Reset-pass-789"}
    done = client.post(form_page.redirect_chain[-1][0], new)
    assert done.status_code == 302
    assert not Token.objects.filter(user=user).exists()


def test_saving_a_user_without_a_new_password_keeps_the_tokens(world):
    user = UserFactory(username="holder")
    Token.objects.create(user=user)
    user.first_name = "新名字"
    user.save()
    assert Token.objects.filter(user=user).exists()


def test_a_few_typos_from_a_shared_address_do_not_lock_everyone_out(api, world):
    """A venue's Wi-Fi: one person's five wrong passwords lock that account, not the room."""
    assert [token(api, "nobody", "wrong").status_code for _ in range(5)] == [401] * 4 + [429]
    assert token(api, "ent_a", PASSWORD).status_code == 200
    assert web_login(Client(), "ent_b", PASSWORD).status_code == 302
    assert token(api, "nobody", "wrong").status_code == 429  # that account stays locked


def test_rehashing_the_same_password_at_sign_in_keeps_the_tokens(world, settings):
    """After a hasher upgrade Django re-hashes the password at sign-in: that is no new password."""
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = UserFactory(username="holder")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="md5"))
    kept = Token.objects.create(user=user)
    assert web_login(Client(), "holder", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")  # re-hashed
    assert Token.objects.filter(pk=kept.pk).exists()
