"""Form helpers shared by the web pages: services raise ValidationError with field names; the
forms show those errors next to the right field."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def keywords_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=500,
        help_text=kwargs.pop("help_text", None),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("solid-state battery, electrolyte")}),
        **kwargs,
    )


def split_keywords(text: str) -> list[str]:
    for separator in "，、；;\n":
        text = text.replace(separator, ",")
    return [k.strip() for k in text.split(",") if k.strip()]


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: named fields where the form has them,
    the rest as form-wide errors."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def listing_form_page(request, form, save: Callable, *, template: str, edit_url: str, context: dict | None = None):
    """The create and edit pages of a listing: a valid POST goes to `save(form)`, which returns the
    saved object or None when a service refused it (its errors are then on the form); a save
    redirects to the listing's edit page, anything else shows the form again."""
    if request.method == "POST" and form.is_valid():
        saved = save(form)
        if saved is not None:
            messages.success(request, _("Saved: %(title)s") % {"title": saved.title})
            return redirect(edit_url, pk=saved.pk)
    return render(request, template, {"form": form, **(context or {})})
