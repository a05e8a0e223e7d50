from django import forms
from django.utils.translation import gettext_lazy as _

from achievements.models import Language
from core.forms import keywords_field, split_keywords
from core.models import District, TechnicalField, TransferMode

from .models import Confidentiality

# The browser's date input reads ISO dates only: a localised value (2027/12/10) would show blank and be lost on save.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NeedForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=300)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 6}))
    keywords = keywords_field(label=_("keywords"), help_text=_("Separate keywords with commas."))
    field = forms.ModelChoiceField(label=_("technical field"), queryset=TechnicalField.objects.all())
    required_trl = forms.TypedChoiceField(
        label=_("required maturity (TRL)"),
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    cooperation_modes = forms.ModelMultipleChoiceField(
        label=_("wanted cooperation modes"),
        queryset=TransferMode.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    budget_min = forms.DecimalField(label=_("budget from (10k CNY)"), min_value=0, required=False)
    budget_max = forms.DecimalField(label=_("budget up to (10k CNY)"), min_value=0, required=False)
    deadline = forms.DateField(label=_("deadline"), required=False, widget=DATE)
    region = forms.ModelChoiceField(label=_("region"), queryset=District.objects.all(), required=False)
    confidentiality = forms.ChoiceField(label=_("who may see it"), choices=Confidentiality.choices)
    language = forms.ChoiceField(label=_("language"), choices=Language.choices)
    is_challenge = forms.BooleanField(label=_("揭榜挂帅 challenge (award for the team that solves it)"), required=False)
    challenge_award = forms.DecimalField(label=_("challenge award (10k CNY)"), min_value=0, required=False)
    challenge_closes_on = forms.DateField(label=_("challenge closing date"), required=False, widget=DATE)
    publish = forms.BooleanField(label=_("publish now"), required=False)

    def clean(self):
        data = super().clean()
        data["keywords"] = split_keywords(data.get("keywords") or "")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("publish", None)
        return data

    @classmethod
    def initial_from_post(cls, data) -> dict:
        """What was typed, as initial values (an analysis shows the form again unsaved)."""
        return {
            name: data.getlist(name) if name == "cooperation_modes" else data.get(name)
            for name in cls.base_fields
            if name in data
        }

    @classmethod
    def initial_for(cls, need) -> dict:
        return {
            **{name: getattr(need, name) for name in cls.base_fields if hasattr(need, name)},
            "keywords": "，".join(need.keywords),
            "cooperation_modes": list(need.cooperation_modes.all()),
        }


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("introduction_request", _("Ask for an introduction")), ("meeting_request", _("Ask for a meeting"))]
    )
    message = forms.CharField(label=_("message"), required=False, max_length=2000)
