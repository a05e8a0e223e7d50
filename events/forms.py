"""Forms of the participants' event pages."""

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
