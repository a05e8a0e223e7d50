from django.core.management import call_command

from accounts.models import Role, User
from achievements.models import Achievement, Expert, Institution
from core.models import TechnicalField
from enterprises.models import Enterprise, TechnologyNeed


def snapshot():
    return sorted(Achievement.objects.values_list("institution__name", "title", "trl", "status")), sorted(
        TechnologyNeed.objects.values_list("enterprise__name", "title", "confidentiality")
    )


def test_seed_demo_creates_realistic_varied_data(db):
    call_command("seed_demo", seed=7)
    assert Institution.objects.count() >= 30
    assert Enterprise.objects.count() >= 60
    assert Achievement.objects.count() >= 400
    assert TechnologyNeed.objects.count() >= 250
    assert User.objects.filter(role=Role.BROKER).count() >= 20
    assert Expert.objects.count() >= 60
    assert set(Achievement.objects.values_list("field__code", flat=True)) == set(
        TechnicalField.objects.values_list("code", flat=True)
    )
    assert Achievement.objects.filter(language="en").exists()
    assert TechnologyNeed.objects.filter(is_challenge=True).exists()
    assert TechnologyNeed.objects.filter(confidentiality="brokers").exists()
    assert {"draft", "published", "archived"} <= set(Achievement.objects.values_list("status", flat=True))
    for enterprise in Enterprise.objects.all():
        enterprise.full_clean()  # valid credit codes
    from events.models import MatchmakingEvent, MeetingRequest

    event = MatchmakingEvent.objects.get(status="open")
    assert event.registrations.count() == 31 and event.room.tables == 40
    assert MeetingRequest.objects.filter(event=event, status="accepted").exists()
    from outcomes.models import Bid, Challenge, ProgrammeTarget, TechnologyContract

    assert ProgrammeTarget.objects.exists() and TechnologyContract.objects.count() >= 25
    assert set(Challenge.objects.values_list("stage", flat=True)) >= {"submitted", "published"}
    assert Bid.objects.exists()
    assert MatchmakingEvent.objects.filter(status="held").exists()


def test_seed_demo_is_deterministic_and_idempotent(db):
    call_command("seed_demo", seed=7)
    first = snapshot()
    call_command("seed_demo", seed=7)  # second run: nothing to do
    assert snapshot() == first
    from events.models import MatchmakingEvent, Programme, PublicHoliday, Venue
    from outcomes.models import Challenge, ProgrammeTarget, TechnologyContract

    TechnologyContract.objects.all().delete()
    Challenge.objects.all().delete()
    ProgrammeTarget.objects.all().delete()
    MatchmakingEvent.objects.all().delete()
    Programme.objects.all().delete()
    Venue.objects.all().delete()
    PublicHoliday.objects.all().delete()
    Achievement.objects.all().delete()
    TechnologyNeed.objects.all().delete()
    Expert.objects.all().delete()
    User.objects.all().delete()
    Institution.objects.all().delete()
    Enterprise.objects.all().delete()
    from accounts.models import Agency

    Agency.objects.all().delete()
    call_command("seed_demo", seed=7)
    assert snapshot() == first


def test_demo_needs_have_matching_achievements(db):
    """Meaningful matches exist: most published needs share a keyword with a published achievement."""
    call_command("seed_demo", seed=7)
    achievement_keywords = set()
    for keywords in Achievement.objects.filter(status="published").values_list("keywords", flat=True):
        achievement_keywords.update(keywords)
    needs = list(TechnologyNeed.objects.filter(status="published").values_list("keywords", flat=True))
    matched = sum(1 for keywords in needs if achievement_keywords & set(keywords))
    assert matched / len(needs) > 0.9
