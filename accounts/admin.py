"""Staff console for accounts: users with masked identities, agreements, phones, reveals."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from . import access, services
from .models import (
    AgreementAcceptance,
    AgreementVersion,
    DeletionRequest,
    IdentityReveal,
    Level,
    PhoneNumber,
    Profile,
    RealIdentity,
    User,
)


class ProfileInline(admin.StackedInline):
    """The public face, read-only: staff do not rewrite what a user says about themselves.

    The avatar is left out of the console altogether: uploads go only through the profile page,
    where core.images re-encodes them (no metadata, bounded size, three formats).
    """

    model = Profile
    can_delete = False
    fields = ["nickname", "handle", "bio", "has_avatar"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("avatar"), boolean=True)
    def has_avatar(self, obj):
        return bool(obj.avatar)


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


REASON_HELP = _("Kept in the audit log. Never write a real name, a document number or a phone number here.")


class StaffReasonField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(label=_("Why?"), min_length=10, max_length=500, help_text=REASON_HELP,
                         widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}), **kwargs)


class UserLevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("New verification level"), choices=Level.choices, coerce=int)
    reason = StaffReasonField()


class UserAccessForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(label=_("Groups"), queryset=Group.objects.order_by("name"),
                                            required=False, widget=forms.CheckboxSelectMultiple)
    user_permissions = forms.ModelMultipleChoiceField(
        label=_("Own permissions"), required=False,
        queryset=Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename"),
        widget=FilteredSelectMultiple(_("permissions"), is_stacked=False))
    is_staff = forms.BooleanField(label=_("Staff (may open the staff console)"), required=False)
    is_superuser = forms.BooleanField(label=_("Superuser (every permission)"), required=False)
    reason = StaffReasonField()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users, read-only where a right is concerned: level, groups, permissions and flags change on their own
    pages (level_view, access_view), each through an audited service after a confirmation page."""

    ordering = ["-date_joined"]
    list_display = ["id", "email", "nickname", "level", "level_source", "is_staff", "is_active", "date_joined"]
    list_filter = ["level", "level_source", "is_staff", "is_active", "groups"]
    search_fields = ["email", "profile__nickname"]
    list_select_related = ["profile"]
    # Everything but the language: rights through the services, closing through the ladder,
    # the email through the owner's own email settings.
    readonly_fields = ["email", "last_login", "date_joined", "level", "level_source", "level_changed_at",
                       "is_active", "is_staff", "is_superuser", "groups", "user_permissions", "staff_changes"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Verification"), {"fields": ["level", "level_source", "level_changed_at", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions",
                                       "staff_changes"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [ProfileInline, RealIdentityInline]

    @admin.display(description=_("nickname"), ordering="profile__nickname")
    def nickname(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.nickname if profile else ""

    @admin.display(description=_("change"))
    def staff_changes(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        # The notes admin is moderation's (registered by name: accounts imports nothing above it).
        return format_html('<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}?user={}">{}</a>',
                           reverse("admin:accounts_user_level", args=[obj.pk]), _("Change the level…"),
                           reverse("admin:accounts_user_access", args=[obj.pk]),
                           _("Change groups, permissions and staff flags…"),
                           reverse("admin:moderation_accountnote_add"), obj.pk, _("Add a staff note…"))

    def has_delete_permission(self, request, obj=None):
        # An account is erased through its deletion request (erasers, audit), never deleted by hand.
        return False

    def get_readonly_fields(self, request, obj=None):
        # The add form keeps its email and passwords; nothing else is on it.
        return [] if obj is None else self.readonly_fields

    def get_urls(self):
        return [
            path("<int:pk>/level/", self.admin_site.admin_view(self.level_view), name="accounts_user_level"),
            path("<int:pk>/access/", self.admin_site.admin_view(self.access_view), name="accounts_user_access"),
        ] + super().get_urls()

    def _page(self, request, user, *, template, form, title, confirming, **extra):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": user,
                   "subject": user, "form": form, "title": title, "confirming": confirming, **extra}
        return TemplateResponse(request, template, context)

    def level_view(self, request, pk):
        """Set a user's level: the form, a confirmation page, then user_level_set() (audited)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        user = get_object_or_404(User, pk=pk)
        form = UserLevelForm(request.POST or None, initial={"level": user.level})
        if form.is_valid() and form.cleaned_data["level"] == user.level:
            form.add_error("level", _("This is already the user's level."))
        if form.is_valid() and request.POST.get("confirm") == "yes":
            services.user_level_set(user=user, level=form.cleaned_data["level"], actor=request.user,
                                    reason=form.cleaned_data["reason"])
            self.message_user(request, _("The level is changed and recorded in the audit log."), messages.SUCCESS)
            return redirect("admin:accounts_user_change", user.pk)
        confirming = form.is_valid()
        return self._page(request, user, template="admin/accounts/user/level.html", form=form, confirming=confirming,
                          title=_("Confirm the level change") if confirming else _("Change the verification level"),
                          new_level=Level(form.cleaned_data["level"]).label if confirming else "")

    def access_view(self, request, pk):
        """Groups, permissions, staff flags: the form, a confirmation page listing the changes, then the services."""
        if not request.user.is_superuser:
            raise PermissionDenied
        user = get_object_or_404(User, pk=pk)
        form = UserAccessForm(request.POST or None, initial={
            "groups": list(user.groups.all()), "user_permissions": list(user.user_permissions.all()),
            "is_staff": user.is_staff, "is_superuser": user.is_superuser})
        changes = _access_changes(user, form.cleaned_data) if form.is_valid() else []
        if form.is_valid() and not changes:
            form.add_error(None, _("Nothing would change."))
        if form.is_valid() and request.POST.get("confirm") == "yes":
            try:
                access.user_access_set(user=user, groups=form.cleaned_data["groups"],
                                       permissions=form.cleaned_data["user_permissions"],
                                       is_staff=form.cleaned_data["is_staff"],
                                       is_superuser=form.cleaned_data["is_superuser"], actor=request.user,
                                       reason=form.cleaned_data["reason"])
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not make this change."))
            else:
                self.message_user(request, _("The rights are changed and recorded in the audit log."), messages.SUCCESS)
                return redirect("admin:accounts_user_change", user.pk)
        confirming = form.is_valid()
        return self._page(request, user, template="admin/accounts/user/access.html", form=form, confirming=confirming,
                          title=_("Confirm the change of rights") if confirming else _("Change groups, permissions "
                                                                                        "and staff flags"),
                          changes=changes, media=self.media + form.media)


def _access_changes(user, data) -> list[str]:
    """Human lines for the confirmation page: what is granted and what is taken away."""
    lines: list[str] = []
    before_groups = set(user.groups.values_list("name", flat=True))
    after_groups = {g.name for g in data["groups"]}
    lines += [str(_("Joins the group “%(name)s”")) % {"name": n} for n in sorted(after_groups - before_groups)]
    lines += [str(_("Leaves the group “%(name)s”")) % {"name": n} for n in sorted(before_groups - after_groups)]
    before_perms = set(user.user_permissions.all())
    after_perms = set(data["user_permissions"])
    lines += [str(_("Gains the permission “%(name)s”")) % {"name": p} for p in sorted(map(str, after_perms - before_perms))]
    lines += [str(_("Loses the permission “%(name)s”")) % {"name": p} for p in sorted(map(str, before_perms - after_perms))]
    for flag, label in (("is_staff", _("staff")), ("is_superuser", _("superuser"))):
        if bool(data[flag]) != getattr(user, flag):
            lines.append(str(_("Becomes %(flag)s") if data[flag] else _("Is no longer %(flag)s")) % {"flag": label})
    return lines


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


class AgreementPublishForm(forms.Form):
    reason = forms.CharField(label=_("Why publish it now? (optional, kept in the audit log)"), required=False,
                             max_length=500, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))


def agreement_notices(version) -> list[dict]:
    """What every user will read when `version` is in force, in every language of the site."""
    rows = []
    for code, name in settings.LANGUAGES:
        with translation.override(code):
            rows.append({"code": code, "name": name, "title": version.title, "body": version.body_for(code),
                         "notice": render_to_string("accounts/_agreement_new_version_notice.html")})
    return rows


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    """Drafts are edited here; publishing is an action with a confirmation page, through agreement_publish()."""

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

    @admin.action(description=_("Publish the selected version (all users must accept again)…"))
    def publish(self, request, queryset):
        """Confirm first: what changes, for how many accounts, and what they will read; then agreement_publish()."""
        drafts = list(queryset.filter(published_at__isnull=True).order_by("pk")[:2])
        if len(drafts) != 1:
            self.message_user(request, _("Choose exactly one draft version to publish."), messages.ERROR)
            return None
        version = drafts[0]
        form = AgreementPublishForm(request.POST if request.POST.get("post") == "yes" else None)
        if request.POST.get("post") == "yes" and form.is_valid():
            services.agreement_publish(version=version, actor=request.user, reason=form.cleaned_data["reason"])
            self.message_user(request, _("Published version %(v)s.") % {"v": version.version}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/accounts/agreementversion/publish_confirm.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Publish agreement version %(v)s?") % {"v": version.version},
            **services.agreement_publish_preview(version=version), "notices": agreement_notices(version),
            "form": form, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })


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


# --- Third-party admins, made read-only --------------------------------------------------------------
# auth, allauth.account and allauth.mfa register editable admins of their own. Each one would let staff
# change a right or a login with no service and no audit entry: a group's permissions (or its name, which
# the staff checks look up), a user's email address or its "verified" mark (a way into the account), a
# second factor's secret. They are shown here read-only; rights change on the user's own page.

from allauth.account.models import EmailAddress  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin  # noqa: E402

for _model in (Group, EmailAddress, Authenticator):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdminMixin, BaseGroupAdmin):
    """Groups come from data migrations; who belongs to one changes on the user's "rights" page."""


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The owner manages their addresses (allauth's email page); staff only look."""

    list_display = ["email", "user", "primary", "verified"]
    list_filter = ["primary", "verified"]
    search_fields = ["email", "=user__id"]
    fields = ["user", "email", "primary", "verified"]
    readonly_fields = fields
    actions = None


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which second factors a user has; never the secret ("data" is left out)."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
