"""Django admin for institutions, experts and achievements.

Institution members with staff access see and change only their own institution's
achievements; every change goes through the same services as the API."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.text import fold_title

from . import services
from .models import Achievement, Expert, Institution, Patent
from .selectors import can_edit_achievement


def _is_member(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.role == Role.INSTITUTION and user.institution_id is not None


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "district", "created_at"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "short_name"]

    def save_model(self, request, obj, form, change):
        """Through the service, so a rename refreshes the search text of its achievements and experts."""
        if not change:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in services.INSTITUTION_FIELDS}
        services.institution_update(institution=obj, actor=request.user, **changes)


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "institution", "field"]
    list_filter = ["field"]
    search_fields = ["name", "expertise"]
    list_select_related = ["institution", "field"]

    def save_model(self, request, obj, form, change):
        """Through the service, so the search text (which has the institution's name) stays current."""
        services.expert_save(expert=obj, actor=request.user)


class PatentInline(admin.TabularInline):
    model = Patent
    extra = 0
    fields = ["number", "status"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


EDITABLE_IN_ADMIN = ["institution", *services.EDITABLE_FIELDS, "transfer_modes"]


class AchievementAdminForm(forms.ModelForm):
    request_user = None

    class Meta:
        model = Achievement
        fields = EDITABLE_IN_ADMIN

    def clean(self):
        """Run the service's checks here so that problems show on the form, not as errors."""
        cleaned = super().clean()
        institution = cleaned.get("institution") or getattr(self.instance, "institution", None)
        if institution is None and self.request_user is not None:
            institution = self.request_user.institution
        probe = Achievement(
            pk=self.instance.pk, institution=institution, title_key=fold_title(cleaned.get("title", ""))
        )
        try:
            services.resolve_maturity(cleaned.get("trl"), cleaned.get("maturity_stage"))
            if institution is not None:
                services.check_duplicates(probe, [])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return cleaned


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    form = AchievementAdminForm
    list_display = ["title", "institution", "field", "trl", "maturity_stage", "status", "updated_at"]
    list_filter = ["status", "field", "maturity_stage", "language"]
    search_fields = ["title", "search_document"]
    list_select_related = ["institution", "field"]
    filter_horizontal = ["transfer_modes"]
    inlines = [PatentInline]
    readonly_fields = ["status", "published_at", "archived_at", "created_by", "created_at", "updated_at"]
    fields = [*EDITABLE_IN_ADMIN, *readonly_fields]
    actions = ["publish", "archive", "restore"]

    # Institution members work on their own institution only.
    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_member(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_member(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or _is_member(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not can_edit_achievement(request.user, obj):
            return False
        return super().has_change_permission(request, obj) or _is_member(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_platform_admin:
            return queryset
        return queryset.filter(institution_id=request.user.institution_id)

    def get_readonly_fields(self, request, obj=None):
        if _is_member(request) and not request.user.is_platform_admin:
            return [*self.readonly_fields, "institution"]
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name in services.EDITABLE_FIELDS}
        modes = list(form.cleaned_data.get("transfer_modes", []))
        if change:
            saved = services.achievement_update(achievement=obj, actor=request.user, transfer_modes=modes, **data)
        else:
            institution = form.cleaned_data.get("institution") or request.user.institution
            saved = services.achievement_create(
                actor=request.user, institution=institution, transfer_modes=modes, **data
            )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """The service already saved the many-to-many fields."""

    def _bulk(self, request, queryset, service, done_message):
        done = 0
        for achievement in queryset:
            try:
                service(achievement=achievement, actor=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{achievement}: {'; '.join(exc.messages)}", messages.WARNING)
        self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        self._bulk(request, queryset, services.achievement_publish, _("%(count)d achievement(s) published."))

    @admin.action(description=_("Archive the selected achievements"))
    def archive(self, request, queryset):
        self._bulk(request, queryset, services.achievement_archive, _("%(count)d achievement(s) archived."))

    @admin.action(description=_("Restore the selected archived achievements"))
    def restore(self, request, queryset):
        self._bulk(request, queryset, services.achievement_restore, _("%(count)d achievement(s) restored."))
