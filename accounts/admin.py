"""Staff console for accounts: users with masked identities, agreements, phones, reveals."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from . import services
from .models import (
    AgreementAcceptance,
    AgreementVersion,
    DeletionRequest,
    IdentityReveal,
    PhoneNumber,
    Profile,
    RealIdentity,
    User,
)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["nickname", "handle", "bio", "avatar"]


class RealIdentityInline(admin.TabularInline):
    """Only masked forms here; the full identity is behind the reveal view."""

    model = RealIdentity
    extra = 0
    can_delete = False
    fields = ["document_type", "masked_name", "masked_number", "status", "created_at", "reveal_link"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("full identity"))
    def reveal_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("accounts:identity_reveal", args=[obj.pk]), _("Reveal…"))


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["id", "email", "nickname", "level", "level_source", "is_staff", "is_active", "date_joined"]
    list_filter = ["level", "level_source", "is_staff", "is_active", "groups"]
    search_fields = ["email", "profile__nickname"]
    list_select_related = ["profile"]
    readonly_fields = ["last_login", "date_joined", "level_changed_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Verification"), {"fields": ["level", "level_source", "level_changed_at", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [ProfileInline, RealIdentityInline]

    @admin.display(description=_("nickname"), ordering="profile__nickname")
    def nickname(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.nickname if profile else ""


@admin.register(RealIdentity)
class RealIdentityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "document_type", "masked_name", "masked_number", "status", "created_at"]
    list_filter = ["status", "document_type"]
    list_select_related = ["user"]
    fields = ["user", "document_type", "masked_name", "masked_number", "status", "created_at", "confirmed_at"]
    readonly_fields = fields
    # Searching by number would need the plain number in a query: staff search by fingerprint elsewhere.
    search_fields = ["user__email"]

    def get_urls(self):
        return [
            path("<int:pk>/reveal/", self.admin_site.admin_view(self.reveal_view), name="accounts_realidentity_reveal"),
        ] + super().get_urls()

    def reveal_view(self, request, pk):
        """The reveal lives on one page for every holder of the permission (staff or not): this old address leads there."""
        return redirect("accounts:identity_reveal", pk=pk)


@admin.register(IdentityReveal)
class IdentityRevealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["revealed_at", "staff", "identity", "reason_code", "reason"]
    list_filter = ["reason_code"]
    list_select_related = ["staff", "identity"]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at", "acceptance_count"]
    readonly_fields = ["published_at", "created_at"]
    actions = ["publish"]

    @admin.display(description=_("acceptances"))
    def acceptance_count(self, obj):
        return obj.acceptances.count()

    def get_readonly_fields(self, request, obj=None):
        # A published text is a record of what people agreed to: it never changes.
        if obj is not None and obj.published_at is not None:
            return ["version", "title", "body_zh", "body_en", "published_at", "created_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.published_at is None

    @admin.action(description=_("Publish the selected versions (all users must accept again)"))
    def publish(self, request, queryset):
        for version in queryset.filter(published_at__isnull=True).order_by("pk"):
            services.agreement_publish(version=version, actor=request.user)
            self.message_user(request, _("Published version %(v)s.") % {"v": version.version})


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "version", "accepted_at", "ip_address"]
    list_filter = ["version"]
    list_select_related = ["user", "version"]
    readonly_fields = ["user", "version", "accepted_at", "ip_address", "user_agent"]


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    list_display = ["user", "masked", "confirmed_at"]
    list_select_related = ["user"]
    fields = ["user", "masked", "confirmed_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(DeletionRequest)
class DeletionRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who asked to leave and when, and what became of it; the owner cancels, the beat task erases."""

    list_display = ["id", "user", "status", "requested_at", "erase_after", "cancelled_at", "erased_at"]
    list_filter = ["status"]
    list_select_related = ["user"]
    readonly_fields = list_display
