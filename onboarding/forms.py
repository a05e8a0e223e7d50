from django import forms

from .models import AccountRequest


class AccountRequestForm(forms.ModelForm):
    class Meta:
        model = AccountRequest
        fields = ["join_as", "organisation", "credit_code", "contact_name", "email", "phone", "message"]
        widgets = {"join_as": forms.RadioSelect, "message": forms.Textarea(attrs={"rows": 3})}
