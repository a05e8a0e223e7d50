"""Days no event is planned or moved to: the official public holidays of the platform's country
(with their bridge days, from the `holidays` package, which follows the State Council's yearly
notice and estimates the lunar holidays of years not yet announced) and the days organisers close
themselves (`PublicHoliday` rows)."""

from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import PublicHoliday
from .selectors import is_organiser


@lru_cache(maxsize=64)
def _official(country: str, year: int, language: str) -> tuple:
    import holidays

    try:
        calendar = holidays.country_holidays(country, years=year, language=language)
    except NotImplementedError:  # a language the package has no names in
        calendar = holidays.country_holidays(country, years=year)
    return tuple(sorted(calendar.items()))


def official_holidays(year: int) -> dict[date, str]:
    country = settings.EVENTS_HOLIDAY_COUNTRY
    if not country:
        return {}
    language = "zh_CN" if (get_language() or "zh-hans").startswith("zh") else "en_US"
    return dict(_official(country, year, language))


def closed_days(year: int) -> dict[date, tuple[str, PublicHoliday | None]]:
    """Each closed day of `year` with its name and, for an organiser's own day, its row."""
    days = {day: (name, None) for day, name in official_holidays(year).items()}
    for holiday in PublicHoliday.objects.filter(date__year=year):
        days[holiday.date] = (holiday.name, holiday)
    return dict(sorted(days.items()))


def is_closed(day: date) -> bool:
    return day in official_holidays(day.year) or PublicHoliday.objects.filter(date=day).exists()


@transaction.atomic
def add_closed_day(*, actor, day: date, name: str) -> PublicHoliday:
    """An organiser closes a day for every programme (a local festival, a venue-wide closure)."""
    if not is_organiser(actor):
        raise PermissionDenied(_("Only organisers manage programmes and events."))
    if day in official_holidays(day.year):
        raise ValidationError({"date": _("That day is already an official holiday.")})
    if PublicHoliday.objects.filter(date=day).exists():
        raise ValidationError({"date": _("That day is already closed.")})
    holiday = PublicHoliday(date=day, name=(name or "").strip())
    holiday.full_clean()
    holiday.save()
    return holiday


@transaction.atomic
def reopen_day(*, actor, holiday: PublicHoliday) -> None:
    if not is_organiser(actor):
        raise PermissionDenied(_("Only organisers manage programmes and events."))
    holiday.delete()
