from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import keywords_field, split_keywords
from core.models import TechnicalField, TransferMode

from .models import Language, MaturityStage, PatentStatus
from .services import PatentInput


class AchievementForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=300)
    abstract = forms.CharField(
        label=_("abstract"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say what problem it solves and by how much (e.g. “energy density up 40%”)."),
    )
    keywords = keywords_field(label=_("keywords"), help_text=_("Separate keywords with commas."))
    field = forms.ModelChoiceField(label=_("technical field"), queryset=TechnicalField.objects.all())
    trl = forms.TypedChoiceField(
        label=_("technology readiness level (TRL)"),
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    maturity_stage = forms.ChoiceField(
        label=_("maturity stage"), choices=[("", "—"), *MaturityStage.choices], required=False
    )
    transfer_modes = forms.ModelMultipleChoiceField(
        label=_("transfer modes"),
        queryset=TransferMode.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    asking_price_min = forms.DecimalField(label=_("asking price from (10k CNY)"), min_value=0, required=False)
    asking_price_max = forms.DecimalField(label=_("asking price up to (10k CNY)"), min_value=0, required=False)
    patent_numbers = forms.CharField(
        label=_("patents"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One patent number per line, e.g. ZL202110123456.7"),
    )
    patent_status = forms.ChoiceField(
        label=_("patent status"), choices=[("", "—"), *PatentStatus.choices], required=False
    )
    inventors = forms.CharField(label=_("inventors / team"), max_length=500, required=False)
    contact_name = forms.CharField(label=_("contact person"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=30, required=False)
    contact_email = forms.EmailField(label=_("contact e-mail"), required=False)
    language = forms.ChoiceField(label=_("language"), choices=Language.choices)
    publish = forms.BooleanField(label=_("publish now"), required=False)

    def clean(self):
        data = super().clean()
        numbers = [n.strip() for n in (data.get("patent_numbers") or "").splitlines() if n.strip()]
        if numbers and not data.get("patent_status"):
            self.add_error("patent_status", _("Say what state the patents are in."))
        data["patents"] = [PatentInput(number=n, status=data.get("patent_status") or "") for n in numbers]
        data["keywords"] = split_keywords(data.get("keywords") or "")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("patent_numbers", "patent_status", "publish"):
            data.pop(name, None)
        data["maturity_stage"] = data.get("maturity_stage") or None
        return data

    @classmethod
    def initial_for(cls, achievement) -> dict:
        patents = list(achievement.patents.all())
        return {
            **{name: getattr(achievement, name) for name in cls.base_fields if hasattr(achievement, name)},
            "keywords": "，".join(achievement.keywords),
            "transfer_modes": list(achievement.transfer_modes.all()),
            "patent_numbers": "\n".join(p.number for p in patents),
            "patent_status": patents[0].status if patents else "",
        }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("spreadsheet (.xlsx or .csv)"))
    on_duplicate = forms.ChoiceField(
        label=_("rows that already exist"),
        choices=[("error", _("stop and show them")), ("skip", _("skip them"))],
        initial="error",
    )

    def clean_file(self):
        """Refuse an over-sized file here, before it is stored for the import worker."""
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit).1f MB."),
                params={"size": upload.size / 1_048_576, "limit": settings.IMPORT_MAX_BYTES / 1_048_576},
            )
        return upload
