"""Forms of the participants' event pages."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Outcome, Side

WINDOWS = 3


class RegistrationForm(forms.Form):
    """Availability as up to three windows (empty: the whole event), a meeting limit and what the
    participant brings, chosen from its own published records."""

    max_meetings = forms.IntegerField(label=_("Meetings at most"), min_value=1, max_value=30, initial=6)
    brings = forms.ModelMultipleChoiceField(
        label=_("What you bring"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Partners see these first; choose among your published records."),
    )

    def __init__(self, *args, event, side, records, registration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event, self.side = event, side
        if records is None:
            del self.fields["brings"]
        else:
            self.fields["brings"].queryset = records
            self.fields["brings"].label = _("Achievements you bring") if side == Side.HOLDER else _("Needs you bring")
        start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
        for k in range(1, WINDOWS + 1):
            attrs = {"type": "time", "min": start.strftime("%H:%M"), "max": end.strftime("%H:%M"), "step": 300}
            self.fields[f"from_{k}"] = forms.TimeField(
                label=_("Available from (window %(k)s)") % {"k": k}, required=False, widget=forms.TimeInput(attrs)
            )
            self.fields[f"until_{k}"] = forms.TimeField(label=_("until"), required=False, widget=forms.TimeInput(attrs))
        if registration is not None and not self.is_bound:
            self.initial["max_meetings"] = registration.max_meetings
            for k, (first, last) in enumerate(registration.availability[:WINDOWS], start=1):
                self.initial[f"from_{k}"], self.initial[f"until_{k}"] = first, last
            if records is not None:
                chosen = registration.achievements if side == Side.HOLDER else registration.needs
                self.initial["brings"] = list(chosen.values_list("pk", flat=True))

    def clean(self):
        data = super().clean()
        windows = []
        for k in range(1, WINDOWS + 1):
            first, last = data.get(f"from_{k}"), data.get(f"until_{k}")
            if (first is None) != (last is None):
                self.add_error(f"until_{k}" if first else f"from_{k}", _("Give both the start and the end."))
            elif first and last:
                windows.append([first.strftime("%H:%M"), last.strftime("%H:%M")])
        data["availability"] = windows
        return data

    def service_arguments(self) -> dict:
        chosen = [record.pk for record in self.cleaned_data.get("brings") or []]
        return {
            "availability": self.cleaned_data["availability"],
            "max_meetings": self.cleaned_data["max_meetings"],
            "achievements": chosen if self.side == Side.HOLDER else [],
            "needs": chosen if self.side == Side.ENTERPRISE else [],
        }


class MeetingRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say briefly what you would like to discuss."),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How useful was the meeting?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)


class SurveyForm(forms.Form):
    contract_signed = forms.TypedChoiceField(
        label=_("Has a contract been signed with someone you met?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    still_in_contact = forms.TypedChoiceField(
        label=_("Are you still in contact with someone you met?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(label=_("Comments"), required=False, max_length=5000, widget=forms.Textarea)


class MoveEventForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    session = forms.TypedChoiceField(label=_("Session"), choices=[(0, _("Morning")), (1, _("Afternoon"))], coerce=int)
    room = forms.ModelChoiceField(label=_("Room"), queryset=None)

    def __init__(self, *args, event, **kwargs):
        from .models import Room

        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.select_related("venue").order_by("venue__name", "name")
        if not self.is_bound:
            start = timezone.localtime(event.starts_at)
            self.initial.update(day=start.date(), session=0 if start.hour < 12 else 1, room=event.room_id)


class ProgrammeForm(forms.Form):
    """The programme's own fields, checked by `programmes.create_programme` / `update_programme`
    (which also names a taken (name, year) next to the name)."""

    FIELDS = ["name", "year", "target_events", "daily_cap", "organiser_daily_cap", "theme_spacing_days"]

    def __init__(self, *args, instance=None, **kwargs):
        from .models import Programme

        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Programme, fields=self.FIELDS))
        if instance is not None and not self.is_bound:
            self.initial.update({name: getattr(instance, name) for name in self.FIELDS})

    def clean(self):
        """The service's own checks of these fields, so that every error shows at once."""
        from .programmes import field_errors

        data = super().clean()
        for name, message in field_errors(data).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class ThemeForm(forms.Form):
    field = forms.ModelChoiceField(label=_("Technical field"), queryset=None, required=False)
    wanted_events = forms.IntegerField(label=_("Wanted events"), min_value=1, max_value=1000, required=False)
    expected_attendance = forms.IntegerField(
        label=_("Expected attendance"), min_value=1, max_value=10_000, initial=60, required=False
    )

    def __init__(self, *args, **kwargs):
        from core.models import TechnicalField

        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = TechnicalField.objects.all()

    def clean(self):
        # a row without a field is no theme (clearing the field removes it), whatever its numbers
        data = super().clean()
        if data.get("field") and not data.get("wanted_events") and "wanted_events" not in self.errors:
            self.add_error("wanted_events", _("How many events of this theme?"))
        if not data.get("field"):
            for name in ("wanted_events", "expected_attendance"):
                self.errors.pop(name, None)
        return data


class BaseThemeFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.themes():
            raise forms.ValidationError(_("Give at least one theme: a field and how many events it wants."))

    def themes(self) -> list[dict]:
        return [
            {
                "field": form.cleaned_data["field"],
                "wanted_events": form.cleaned_data["wanted_events"],
                "expected_attendance": form.cleaned_data.get("expected_attendance") or 60,
            }
            for form in self.forms
            if form.cleaned_data.get("field")
        ]


ThemeFormSet = forms.formset_factory(ThemeForm, formset=BaseThemeFormSet, extra=3, max_num=67, absolute_max=67)


class ClosedDayForm(forms.Form):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(label=_("Why it is closed"), max_length=100)

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day.year != self.year:
            raise forms.ValidationError(_("Choose a day in %(year)s.") % {"year": self.year})
        return day


class EventFilterForm(forms.Form):
    """Finding one event among a year's hundreds: words of the title or venue, a theme field, a
    month, a status (organisers), upcoming or past."""

    WHEN = [("upcoming", _("Upcoming")), ("past", _("Past")), ("all", _("All dates"))]

    q = forms.CharField(label=_("Title or venue"), required=False, max_length=100)
    field = forms.ModelChoiceField(label=_("Technical field"), queryset=None, required=False)
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month", "placeholder": "2027-03"})
    )
    when = forms.ChoiceField(label=_("When"), choices=WHEN, required=False)

    def __init__(self, *args, statuses: bool = False, **kwargs):
        from core.models import TechnicalField

        from .models import EventStatus

        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = TechnicalField.objects.all()
        if statuses:
            self.fields["status"] = forms.ChoiceField(
                label=_("Status"), choices=[("", _("Any status")), *EventStatus.choices], required=False
            )

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "").strip()

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        from core.validators import EARLIEST_DATE, LATEST_DATE

        try:
            year, month = (int(part) for part in value.split("-"))
            first = date(year, month, 1)
        except (ValueError, OverflowError):
            raise forms.ValidationError(_("Give a month as YYYY-MM, e.g. 2027-03.")) from None
        if not EARLIEST_DATE.replace(day=1) <= first <= LATEST_DATE:
            raise forms.ValidationError(
                _("Give a month from %(first)s to %(last)s.")
                % {"first": f"{EARLIEST_DATE:%Y-%m}", "last": f"{LATEST_DATE:%Y-%m}"}
            )
        return first

    def filters(self) -> dict:
        """The valid filters (an invalid one is shown with its error and ignored)."""
        if not self.is_bound:
            return {"when": "upcoming"}
        self.is_valid()
        data = {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}
        data.setdefault("when", "upcoming")
        return data


class EventForm(forms.Form):
    """One event made by hand (outside the year planner), checked by `services.create_event`."""

    title = forms.CharField(label=_("Title"), max_length=300)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=None, required=False)
    fields = forms.ModelMultipleChoiceField(
        label=_("Technical fields"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    room = forms.ModelChoiceField(label=_("Room"), queryset=None, required=False)
    online = forms.BooleanField(label=_("Online"), required=False)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    starts = forms.TimeField(label=_("Starts"), initial="09:00", widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=_("Ends"), initial="12:00", widget=forms.TimeInput(attrs={"type": "time"}))
    meeting_minutes = forms.IntegerField(label=_("Meeting length (minutes)"), initial=20, min_value=5, max_value=240)
    capacity = forms.IntegerField(label=_("Places"), initial=100, min_value=1, max_value=100_000)
    tables = forms.IntegerField(label=_("Meeting tables"), initial=20, min_value=1, max_value=1_000)
    registration_deadline = forms.DateField(
        label=_("Registration closes at the end of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: registration stays open until the event starts."),
    )
    open_now = forms.BooleanField(
        label=_("Open for registration now"), required=False, help_text=_("Otherwise it is saved as a draft.")
    )

    def __init__(self, *args, organiser, event=None, **kwargs):
        from core.models import TechnicalField

        from .models import Room
        from .selectors import programmes_visible_to

        super().__init__(*args, **kwargs)
        self.event = event
        if event is not None and event.status != "draft":
            del self.fields["open_now"]  # an open event stays open here (cancelling is its own button)
        if event is not None and self.spans_days(event):
            # one day and two times cannot hold it: its times stay as they are (Move changes them)
            for name in ("day", "starts", "ends"):
                self.fields[name].disabled = True
            self.fields["day"].help_text = _("The event spans several days: move it from its page to change its days.")
        self.fields["programme"].queryset = programmes_visible_to(organiser).order_by("-year", "name")
        self.fields["fields"].queryset = TechnicalField.objects.all()
        self.fields["room"].queryset = Room.objects.select_related("venue").order_by("venue__name", "name")

    def clean(self):
        data = super().clean()
        if not data.get("room") and not data.get("online"):
            self.add_error("room", _("Choose a room, or say the event is online."))
        spans_days = self.event is not None and self.spans_days(self.event)
        if not spans_days and data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", _("The event must end after it starts."))
        return data

    @staticmethod
    def spans_days(event) -> bool:
        return timezone.localtime(event.starts_at).date() != timezone.localtime(event.ends_at).date()

    @staticmethod
    def initial_for(event) -> dict:
        """An existing event as the form shows it (the edit page), in the site's time zone."""
        starts, ends = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
        deadline = event.registration_deadline
        return {
            "title": event.title,
            "programme": event.programme_id,
            "fields": list(event.fields.values_list("pk", flat=True)),
            "room": event.room_id,
            "online": event.online,
            "day": starts.date(),
            "starts": starts.time().replace(second=0, microsecond=0),
            "ends": ends.time().replace(second=0, microsecond=0),
            "meeting_minutes": event.meeting_minutes,
            "capacity": event.capacity,
            "tables": event.tables,
            "registration_deadline": timezone.localtime(deadline).date() if deadline else None,
            "open_now": event.status != "draft",
        }

    def event_values(self) -> dict:
        """The service's arguments, in the site's time zone."""
        from datetime import datetime, time

        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        deadline = data.get("registration_deadline")
        starts_at = datetime.combine(data["day"], data["starts"], tzinfo=zone)
        ends_at = datetime.combine(data["day"], data["ends"], tzinfo=zone)
        if self.event is not None:
            # the form shows minutes: an event's own seconds are kept where its minute is
            if self.spans_days(self.event) or starts_at == self.event.starts_at.replace(second=0, microsecond=0):
                starts_at = self.event.starts_at
            if self.spans_days(self.event) or ends_at == self.event.ends_at.replace(second=0, microsecond=0):
                ends_at = self.event.ends_at
        return {
            "title": data["title"],
            "programme": data.get("programme"),
            "fields": list(data.get("fields") or []),
            "room": data.get("room"),
            "online": data.get("online", False),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "meeting_minutes": data["meeting_minutes"],
            "capacity": data["capacity"],
            "tables": data["tables"],
            "registration_deadline": datetime.combine(deadline, time(23, 59), tzinfo=zone) if deadline else None,
            "status": "open" if data.get("open_now") else "draft",
        }
