"""Start-up checks of the events settings (a typo shows at `manage.py check`, not as a 500)."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def holiday_country(app_configs=None, **kwargs):
    import holidays

    country = settings.EVENTS_HOLIDAY_COUNTRY
    if country and country not in holidays.list_supported_countries():
        return [
            Error(
                f"EVENTS_HOLIDAY_COUNTRY={country!r} is not a country the holidays package knows.",
                hint="An ISO 3166 alpha-2 code such as CN, or empty for the organisers' closed days only.",
                id="events.E001",
            )
        ]
    return []
