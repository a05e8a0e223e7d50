from django import forms

from .models import AccountRequest, JoinAs


class AccountRequestForm(forms.ModelForm):
    class Meta:
        model = AccountRequest
        fields = ["join_as", "organisation", "credit_code", "contact_name", "email", "phone", "message"]
        widgets = {"join_as": forms.RadioSelect, "message": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["join_as"].choices = JoinAs.choices  # no empty "---------" choice among the two
