from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
    fields = [*readonly_fields, "existing_organisation", "decision_note"]
    actions = ["approve_selected", "approve_joining_existing", "reject_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "existing_organisation"]

    @admin.display(description=_("already on the platform"))
    def existing_organisation(self, obj):
        """Approving joins the requester to this organisation: check they belong to it."""
        found = services.existing_organisation(obj)
        if found is None:
            return _("No: approving registers it")
        members = found.members.count()
        return ngettext(
            "Yes: %(name)s, %(members)d member. Check that the requester belongs to it.",
            "Yes: %(name)s, %(members)d members. Check that the requester belongs to it.",
            members,
        ) % {"name": found.name, "members": members}

    def has_add_permission(self, request):
        return False  # visitors ask at /join/

    def _decide(self, request, queryset, decide):
        done = 0
        for account_request in queryset:
            try:
                decide(account_request)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{account_request}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d request decided.", "%(count)d requests decided.", done) % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Approve: create the account and e-mail a password link"))
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, lambda r: services.approve(actor=request.user, request=r))

    @admin.action(description=_("Approve, joining the organisation already on the platform (checked)"))
    def approve_joining_existing(self, request, queryset):
        self._decide(request, queryset, lambda r: services.approve(actor=request.user, request=r, join_existing=True))

    @admin.action(description=_("Reject, with the reason written in each request"))
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, lambda r: services.reject(actor=request.user, request=r, note=r.decision_note))
