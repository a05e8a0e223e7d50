"""Writes of a year's programme and its themes, shared by the API and the organiser's pages."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from .models import Programme, ProgrammeTheme, Room

FIRST_YEAR, LAST_YEAR = 2000, 2100
FIELDS = ("name", "year", "target_events", "daily_cap", "organiser_daily_cap", "theme_spacing_days")


def field_errors(values: dict) -> dict:
    """The programme's own rules for its fields (also run by the web form, so all errors show at once)."""
    errors = {}
    if "year" in values and not FIRST_YEAR <= (values["year"] or 0) <= LAST_YEAR:
        errors["year"] = _("Give a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
    for name in ("daily_cap", "organiser_daily_cap"):
        if name in values and not values[name]:
            errors[name] = _("At least one event a day.")
    if "target_events" in values and not values["target_events"]:
        errors["target_events"] = _("Aim for at least one event.")
    if "theme_spacing_days" in values and not values["theme_spacing_days"]:
        errors["theme_spacing_days"] = _("Events of one theme are at least 1 day apart.")
    return errors


def _check(programme: Programme, themes: list[dict] | None) -> None:
    errors = field_errors({name: getattr(programme, name) for name in FIELDS})
    if themes is not None:
        seen = set()
        for theme in themes:
            if theme["field"].pk in seen:
                errors["themes"] = _("The field %(field)s is a theme twice; give it once with all its events.") % {
                    "field": theme["field"]
                }
            seen.add(theme["field"].pk)
        largest = Room.objects.aggregate(largest=Max("capacity"))["largest"]
        crowded = [t for t in themes if largest and t.get("expected_attendance", 60) > largest]
        if crowded and "themes" not in errors:
            errors["themes"] = _("%(field)s expects %(attendance)s people, but the largest room holds %(largest)s.") % {
                "field": crowded[0]["field"],
                "attendance": crowded[0].get("expected_attendance", 60),
                "largest": largest,
            }
    if errors:
        raise ValidationError(errors)
    try:
        programme.full_clean()
    except ValidationError as error:
        if "__all__" in getattr(error, "error_dict", {}):
            # The only model-wide rule is the unique (organiser, name, year); name the field it concerns.
            raise ValidationError({"name": _("You already have a programme of this name for that year.")}) from None
        raise


def _replace_themes(programme: Programme, themes: list[dict]) -> None:
    programme.themes.all().delete()
    ProgrammeTheme.objects.bulk_create(
        ProgrammeTheme(
            programme=programme,
            field=theme["field"],
            wanted_events=theme["wanted_events"],
            expected_attendance=theme.get("expected_attendance", 60),
        )
        for theme in themes
    )


@transaction.atomic
def create_programme(*, organiser, themes: list[dict], **fields) -> Programme:
    """A programme owned by `organiser` with its themes (`{"field", "wanted_events",
    "expected_attendance"}`), all or nothing."""
    programme = Programme(organiser=organiser, **{name: fields[name] for name in FIELDS if name in fields})
    _check(programme, themes)
    programme.save()
    _replace_themes(programme, themes)
    return programme


@transaction.atomic
def update_programme(*, programme: Programme, actor, themes: list[dict] | None = None, **fields) -> Programme:
    """Change a programme; `themes`, when given, replace the old ones. Only its organiser (or a
    platform admin) may."""
    if not (actor.is_platform_admin or programme.organiser_id == actor.pk):
        raise PermissionDenied(_("Only the programme's organiser can change it."))
    for name in FIELDS:
        if name in fields:
            setattr(programme, name, fields[name])
    _check(programme, themes)
    programme.save()
    if themes is not None:
        _replace_themes(programme, themes)
    return programme
