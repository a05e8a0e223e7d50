from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ContractType

# The browser's date input reads ISO dates only: a localised value (2027/12/10) would show blank and be lost on save.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(forms.Form):
    contract_type = forms.ChoiceField(label=_("type"), choices=ContractType.choices)
    title = forms.CharField(label=_("title"), max_length=300)
    amount = forms.DecimalField(label=_("amount (10k CNY)"), min_value=0, max_digits=14, decimal_places=2)
    signed_on = forms.DateField(label=_("signing date"), widget=DATE)
    registration_number = forms.CharField(label=_("registration number"), max_length=40, required=False)
    free_use_until = forms.DateField(
        label=_("先使用后付费: free use until"),
        required=False,
        widget=DATE,
        help_text=_("Only for a use-first-pay-later licence."),
    )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        until = data.pop("free_use_until")
        if until:
            data["use_first"] = {"free_use_from": data["signed_on"], "free_use_until": until}
        if not data.get("registration_number"):
            data.pop("registration_number", None)
        return data
