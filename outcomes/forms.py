from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ContractType

# The browser's date input reads ISO dates only: a localised value (2027/12/10) would show blank and be lost on save.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(forms.Form):
    contract_type = forms.ChoiceField(label=_("type"), choices=ContractType.choices)
    title = forms.CharField(label=_("title"), max_length=300)
    amount = forms.DecimalField(label=_("amount (× CNY 10,000)"), min_value=0, max_digits=14, decimal_places=2)
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


class LicenceEvaluateForm(forms.Form):
    """After the free use of a 先使用后付费 licence: keep it (with the payment agreed) or hand it back."""

    keep = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("yes", _("Keep the licence and pay")), ("no", _("Hand the licence back"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    evaluation = forms.CharField(
        label=_("how the technology did in use"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    payment_amount = forms.DecimalField(
        label=_("payment (× CNY 10,000)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2, required=False
    )
    payment_due_on = forms.DateField(label=_("payment due"), widget=DATE, required=False)

    def clean(self):
        data = super().clean()
        if data.get("keep"):  # a field already in error says what is wrong with it
            if data.get("payment_amount") is None and "payment_amount" not in self.errors:
                self.add_error("payment_amount", _("Keeping the licence needs the payment agreed."))
            if data.get("payment_due_on") is None and "payment_due_on" not in self.errors:
                self.add_error("payment_due_on", _("Keeping the licence needs the date the payment is due."))
        return data


class LicencePaidForm(forms.Form):
    paid_on = forms.DateField(label=_("paid on"), widget=DATE, required=False, help_text=_("Empty: today."))
