"""Password change and reset pages with the same protection as the sign-in: the old password is
checked through `authenticate()` so that wrong guesses count towards the lockout (accounts/lockout.py),
and reset e-mails are limited per client address and per e-mail address."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from core.net import client_ip
from core.ratelimit import hit

RESET_LIMITED = _("Too many password-reset requests. Try again in an hour.")


class LockoutPasswordChangeForm(PasswordChangeForm):
    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    @sensitive_variables("old_password")
    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if checked is None or checked.pk != self.user.pk:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class AdminLockoutPasswordChangeForm(LockoutPasswordChangeForm):
    required_css_class = AdminPasswordChangeForm.required_css_class


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = LockoutPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


def admin_password_change(request):
    """The admin's own password page (`admin.site.password_change`) with the lockout form."""
    request.current_app = admin.site.name
    return PasswordChangeView.as_view(
        form_class=AdminLockoutPasswordChangeForm,
        success_url=reverse("admin:password_change_done", current_app=admin.site.name),
        extra_context=admin.site.each_context(request),
    )(request)


class ResetForm(PasswordResetForm):
    def get_users(self, email):
        """Also an approved account that has no password yet (its first link expired): Django's
        form leaves out accounts without a usable password, which would lock them out for good."""
        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True).iterator()


class PasswordResetView(auth_views.PasswordResetView):
    """Each request may send an e-mail: at most PASSWORD_RESET_PER_HOUR per client address and
    per e-mail address (counted whether or not an account has that address, so the answer tells
    nothing about which addresses exist)."""

    form_class = ResetForm

    def form_valid(self, form):
        limit, hour = settings.PASSWORD_RESET_PER_HOUR, 3600
        email = form.cleaned_data["email"].strip().lower()
        if not (
            hit("password-reset-ip", client_ip(self.request), limit=limit, window=hour)
            and hit("password-reset-email", email, limit=limit, window=hour)
        ):
            form.add_error("email", RESET_LIMITED)  # the page shows only the field's errors
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
