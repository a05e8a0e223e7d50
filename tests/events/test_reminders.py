from datetime import timedelta

from django.core import mail
from django.utils import timezone

from events.models import FollowUpSurvey, MatchmakingEvent, Meeting, Notification, Registration
from events.reminders import send_due_reminders


def make_event(world, starts_in, **fields):
    start = timezone.now() + starts_in
    return MatchmakingEvent.objects.create(
        title="储能对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        organiser=world.users["organiser"],
        **fields,
    )


def test_reminders_go_out_once_in_each_participants_language(world, django_capture_on_commit_callbacks):
    world.users["inst_a"].email, world.users["inst_a"].language = "a@example.cn", "zh-hans"
    world.users["ent_a"].email, world.users["ent_a"].language = "e@example.cn", "en"
    for user in (world.users["inst_a"], world.users["ent_a"]):
        user.save()
    event = make_event(
        world, timedelta(hours=20), status="open", registration_deadline=timezone.now() + timedelta(hours=5)
    )
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    enterprise = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    Meeting.objects.create(
        event=event, holder=holder, enterprise=enterprise, slot=0, table=1, starts_at=event.starts_at
    )

    with django_capture_on_commit_callbacks(execute=True):  # e-mails leave once each reminder commits
        assert send_due_reminders() == 6  # registration closing, agenda and day before, for two people
        assert send_due_reminders() == 0  # nothing twice
    subjects = {(m.to[0], m.subject) for m in mail.outbox}
    assert ("e@example.cn", "Tomorrow: 储能对接会") in subjects
    assert ("a@example.cn", "明天：储能对接会") in subjects
    assert len(mail.outbox) == 6
    assert Notification.objects.count() == 6
    # each reminder is on the site too, in the reader's language, linking to the event's page
    from notifications.models import Notification as SiteNotification

    agenda = SiteNotification.objects.get(user=world.users["ent_a"], subject="Your meeting agenda: %(title)s")
    assert agenda.url == f"/events/{event.pk}/agenda/"
    assert SiteNotification.objects.filter(kind="event_reminder").count() == 6


def test_feedback_after_and_follow_up_survey_months_later(world):
    recent = make_event(world, -timedelta(days=1), status="held")
    old = make_event(world, -timedelta(days=92), status="held")
    for event in (recent, old):
        Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    Registration.objects.create(event=old, user=world.users["ent_b"], side="enterprise", no_show=True)
    send_due_reminders()
    kinds = sorted(Notification.objects.values_list("registration__event__title", "kind"))
    assert [k for _, k in kinds] == ["feedback", "follow_up"]
    assert FollowUpSurvey.objects.filter(registration__event=old, registration__user=world.users["ent_a"]).exists()


def test_survey_is_answered_once(world, as_user):
    old = make_event(world, -timedelta(days=92), status="held")
    Registration.objects.create(event=old, user=world.users["ent_a"], side="enterprise")
    client = as_user("ent_a")
    early = client.post(
        f"/api/v1/events/{old.pk}/survey/", {"contract_signed": True, "still_in_contact": True}, format="json"
    )
    assert early.status_code == 400  # not sent yet
    send_due_reminders()
    ok = client.post(
        f"/api/v1/events/{old.pk}/survey/", {"contract_signed": True, "still_in_contact": False}, format="json"
    )
    assert ok.status_code == 200
    survey = FollowUpSurvey.objects.get()
    assert survey.contract_signed is True and survey.answered_at is not None
    again = client.post(
        f"/api/v1/events/{old.pk}/survey/", {"contract_signed": False, "still_in_contact": False}, format="json"
    )
    assert again.status_code == 400
    survey.refresh_from_db()
    assert survey.contract_signed is True


def test_unanswered_requests_expire_when_the_event_begins(world):
    from events.models import MeetingRequest

    started = make_event(world, -timedelta(hours=1), status="closed")
    holder = Registration.objects.create(event=started, user=world.users["inst_a"], side="holder")
    enterprise = Registration.objects.create(event=started, user=world.users["ent_a"], side="enterprise")
    request = MeetingRequest.objects.create(event=started, sender=holder, receiver=enterprise)
    send_due_reminders()
    request.refresh_from_db()
    assert request.status == "expired"
