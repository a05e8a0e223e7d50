"""Visitors see what the platform is and ask for an account; an admin approves (the account and
its organisation are created, a password link is e-mailed) or rejects with a reason."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.models import User
from enterprises.models import Enterprise
from notifications.models import Notification
from onboarding import services
from onboarding.models import AccountRequest

from ..factories import valid_uscc

INSTITUTION = {
    "join_as": "institution",
    "organisation": "成都新材料研究院",
    "contact_name": "王老师",
    "email": "wang@example.cn",
    "phone": "028-1234567",
    "message": "希望发布成果",
}


def test_a_visitor_reads_the_landing_page_with_figures_and_ways_in(world):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "published research achievements" in text and 'href="/join/"' in text and 'href="/accounts/login/"' in text


def test_a_signed_in_user_still_lands_on_their_workbench(world):
    client = Client()
    client.force_login(world.users["broker"])
    assert client.get("/")["Location"] == "/broker/inbox/"


def test_a_visitor_asks_for_an_account_and_the_admins_are_told(world):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/join/", INSTITUTION)
    assert response.status_code == 302 and response["Location"] == "/join/thanks/"
    request = AccountRequest.objects.get()
    assert request.status == "pending" and request.language == "en"
    assert Notification.objects.get(user=world.users["admin"]).kind == "account_request"


def test_every_error_is_shown_at_once_next_to_its_field_and_input_is_kept(world):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/join/", {"join_as": "enterprise", "organisation": "某公司", "email": "not-an-address", "credit_code": "123"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count('class="error" role="alert"') >= 3  # name missing, e-mail, credit code
    assert 'value="某公司"' in text
    assert AccountRequest.objects.count() == 0


def test_an_enterprise_must_give_its_credit_code(world):
    data = {**INSTITUTION, "join_as": "enterprise", "organisation": "某科技有限公司"}
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post("/join/", data)
    assert "unified social credit code" in page.content.decode()
    assert AccountRequest.objects.count() == 0


def test_an_existing_account_is_not_revealed(world):
    world.users["inst_a"].email = "wang@example.cn"
    world.users["inst_a"].save()
    response = Client().post("/join/", INSTITUTION)
    assert response["Location"] == "/join/thanks/"
    assert AccountRequest.objects.count() == 0


def test_requests_from_one_address_are_limited(world):
    client = Client()
    for number in range(services.REQUESTS_PER_HOUR):
        client.post("/join/", {**INSTITUTION, "email": f"w{number}@example.cn"})
    page = client.post("/join/", {**INSTITUTION, "email": "late@example.cn"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many requests" in page.content.decode()
    assert AccountRequest.objects.count() == services.REQUESTS_PER_HOUR


def test_approving_creates_the_account_and_e_mails_a_password_link(world, django_capture_on_commit_callbacks):
    request = services.request_account(client="1.2.3.4", language="zh-hans", **INSTITUTION)
    with django_capture_on_commit_callbacks(execute=True):
        user = services.approve(actor=world.users["admin"], request=request)
    assert user.role == "institution" and user.institution.name == "成都新材料研究院"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body
    link = mail.outbox[0].body.split("http://127.0.0.1:8000")[1].split()[0]
    form = Client().get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    with pytest.raises(ValidationError):
        services.approve(actor=world.users["admin"], request=request)  # decided already


def test_an_enterprise_request_joins_its_registered_enterprise_by_credit_code(world):
    code = world.ent_a.credit_code
    request = services.request_account(
        client="1.2.3.4",
        language="zh-hans",
        **{**INSTITUTION, "join_as": "enterprise", "organisation": "甲科技", "credit_code": code},
    )
    assert services.existing_organisation(request) == world.ent_a  # shown to the admin before approving
    with pytest.raises(ValidationError):  # anyone can type a public credit code: not on their word alone
        services.approve(actor=world.users["admin"], request=request)
    assert User.objects.filter(email="wang@example.cn").count() == 0
    user = services.approve(actor=world.users["admin"], request=request, join_existing=True)
    assert user.enterprise == world.ent_a and Enterprise.objects.count() == 2
    # the enterprise's members hear that someone joined them, in case it is not one of them
    told = Notification.objects.get(user=world.users["ent_a"])
    assert told.kind == "account_request" and told.params["email"] == "wang@example.cn"


def test_the_admin_sees_which_organisation_a_request_would_join(world):
    request = services.request_account(
        client="1.2.3.4",
        language="zh-hans",
        **{**INSTITUTION, "join_as": "enterprise", "organisation": "甲科技", "credit_code": world.ent_a.credit_code},
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    world.users["admin"].is_staff = world.users["admin"].is_superuser = True
    world.users["admin"].save()
    client.force_login(world.users["admin"])
    page = client.get(f"/admin/onboarding/accountrequest/{request.pk}/change/").content.decode()
    assert "Yes: 甲科技有限公司, 1 member." in page


def test_a_new_enterprise_is_created_and_a_clashing_name_refused(world):
    fresh = services.request_account(
        client="1.2.3.4",
        language="zh-hans",
        **{**INSTITUTION, "join_as": "enterprise", "organisation": "新公司", "credit_code": valid_uscc()},
    )
    assert services.approve(actor=world.users["admin"], request=fresh).enterprise.name == "新公司"
    institution = services.request_account(
        client="1.2.3.4", language="zh-hans", **{**INSTITUTION, "email": "c@example.cn", "organisation": "甲大学"}
    )
    with pytest.raises(ValidationError):  # a registered institution's name, typed by a visitor
        services.approve(actor=world.users["admin"], request=institution)
    clash = services.request_account(
        client="1.2.3.4",
        language="zh-hans",
        **{
            **INSTITUTION,
            "email": "b@example.cn",
            "join_as": "enterprise",
            "organisation": "新公司",
            "credit_code": valid_uscc(),
        },
    )
    with pytest.raises(ValidationError):
        services.approve(actor=world.users["admin"], request=clash)
    clash.refresh_from_db()
    assert clash.status == "pending" and User.objects.filter(email="b@example.cn").count() == 0


def test_only_admins_decide_and_a_rejection_says_why(world, django_capture_on_commit_callbacks):
    request = services.request_account(client="1.2.3.4", language="en", **INSTITUTION)
    with pytest.raises(PermissionDenied):
        services.approve(actor=world.users["organiser"], request=request)
    with pytest.raises(ValidationError):
        services.reject(actor=world.users["admin"], request=request, note="")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(actor=world.users["admin"], request=request, note="Not a Chengdu institution")
    assert mail.outbox[0].body == "Your request for 成都新材料研究院 was not approved: Not a Chengdu institution"
    assert User.objects.filter(email="wang@example.cn").count() == 0


def test_an_approved_user_whose_link_expired_asks_for_a_new_one(world, django_capture_on_commit_callbacks):
    request = services.request_account(client="1.2.3.4", language="en", **INSTITUTION)
    services.approve(actor=world.users["admin"], request=request)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in sign_in and 'href="/join/"' in sign_in
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "WANG@example.cn"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["wang@example.cn"]]  # no usable password yet: still a link
    page = client.get("/accounts/password_reset/").content.decode()
    assert "Django" not in page and 'class="skip-link"' in page  # the site's own page, not the admin's


def test_money_reads_in_wan_for_chinese_and_in_yuan_for_english_readers():
    from decimal import Decimal

    from django.utils import translation

    from core.templatetags.techbridge import money_range

    with translation.override("zh-hans"):
        assert money_range(Decimal("50"), None) == "50 万元起"
        assert money_range(Decimal("12.5"), Decimal("30")) == "12.5–30 万元"
    with translation.override("en"):
        assert money_range(Decimal("50"), None) == "From CNY 500,000"
        assert money_range(Decimal("12.5"), Decimal("30")) == "CNY 125,000–300,000"
