from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AccountRequest


@admin.register(AccountRequest)
class AccountRequestAdmin(admin.ModelAdmin):
    list_display = ["organisation", "join_as", "contact_name", "email", "status", "created_at"]
    list_filter = ["status", "join_as"]
    search_fields = ["organisation", "contact_name", "email", "credit_code"]
    readonly_fields = [
        "join_as",
        "organisation",
        "credit_code",
        "contact_name",
        "email",
        "phone",
        "message",
        "language",
        "status",
        "decided_by",
        "decided_at",
        "user",
        "created_at",
    ]
    fields = [*readonly_fields, "decision_note"]
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False  # visitors ask at /join/

    def _decide(self, request, queryset, decide):
        done = 0
        for account_request in queryset:
            try:
                decide(account_request)
            except ValidationError as error:
                self.message_user(request, f"{account_request}: {' '.join(error.messages)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)d requests decided.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Approve: create the account and e-mail a password link"))
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, lambda r: services.approve(actor=request.user, request=r))

    @admin.action(description=_("Reject, with the reason written in each request"))
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, lambda r: services.reject(actor=request.user, request=r, note=r.decision_note))
