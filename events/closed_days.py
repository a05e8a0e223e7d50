"""Days no event is planned or moved to: the official public holidays of the platform's country
(with their bridge days, from the `holidays` package, which follows the State Council's yearly
notice and estimates the lunar holidays of years not yet announced) and the days organisers close
themselves (`PublicHoliday` rows)."""

from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import PublicHoliday
from .selectors import is_organiser


@lru_cache(maxsize=64)
def _official(country: str, year: int, language: str) -> tuple:
    import holidays

    supported = getattr(holidays.country_holidays(country), "supported_languages", ())
    calendar = holidays.country_holidays(country, years=year, language=language if language in supported else None)
    return tuple(sorted(calendar.items()))


def official_holidays(year: int) -> dict[date, str]:
    country = settings.EVENTS_HOLIDAY_COUNTRY
    if not country:
        return {}
    language = "zh_CN" if (get_language() or "zh-hans").startswith("zh") else "en_US"
    return dict(_official(country, year, language))


def closed_days(year: int) -> dict[date, tuple[str, PublicHoliday | None]]:
    """Each closed day of `year` with its name and, for a day only an organiser closed, its row
    (an official holiday stays closed whatever rows say)."""
    days = {}
    for holiday in PublicHoliday.objects.filter(date__year=year).select_related("created_by"):
        days[holiday.date] = (holiday.name, holiday)
    days.update({day: (name, None) for day, name in official_holidays(year).items()})
    return dict(sorted(days.items()))


def is_estimated(year: int) -> bool:
    """Whether the official holidays of `year` may be the package's estimate: the State Council
    announces a year's schedule late in the year before, and the package follows it a release later."""
    from django.utils import timezone

    return year > timezone.localdate().year


def is_closed(day: date) -> bool:
    return day in official_holidays(day.year) or PublicHoliday.objects.filter(date=day).exists()


@transaction.atomic
def add_closed_day(*, actor, day: date, name: str) -> PublicHoliday:
    """An organiser closes a day for every programme (a local festival, a venue-wide closure)."""
    if not is_organiser(actor):
        raise PermissionDenied(_("Only organisers manage programmes and events."))
    if day in official_holidays(day.year):
        raise ValidationError({"date": _("That day is already an official holiday.")})
    holiday = PublicHoliday(date=day, name=(name or "").strip(), created_by=actor)
    try:
        holiday.full_clean()
    except ValidationError as error:
        if "date" in getattr(error, "error_dict", {}) and PublicHoliday.objects.filter(date=day).exists():
            raise ValidationError({"date": _("That day is already closed.")}) from None
        raise
    try:
        with transaction.atomic():
            holiday.save()
    except IntegrityError:  # closed at the same moment by someone else
        raise ValidationError({"date": _("That day is already closed.")}) from None
    return holiday


def may_reopen(actor, holiday: PublicHoliday) -> bool:
    return actor.is_platform_admin or (holiday.created_by_id is not None and holiday.created_by_id == actor.pk)


@transaction.atomic
def reopen_day(*, actor, holiday: PublicHoliday) -> None:
    if not is_organiser(actor):
        raise PermissionDenied(_("Only organisers manage programmes and events."))
    if not may_reopen(actor, holiday):
        raise PermissionDenied(_("Only the organiser who closed this day, or a platform admin, can open it again."))
    holiday.delete()


def events_on(day: date, organiser):
    """The events still planned on `day`: the organiser's own (to move or cancel), and how many
    others hold it."""
    from .models import EventStatus, MatchmakingEvent

    planned = MatchmakingEvent.objects.filter(starts_at__date=day).exclude(status=EventStatus.CANCELLED)
    own = list(planned.filter(organiser=organiser).order_by("starts_at"))
    return own, planned.exclude(organiser=organiser).count()
