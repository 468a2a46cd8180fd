"""Staff console: reserved terms (editable); accounts, qualifications and articles (read-only, changed by services)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from moderation.admin import take_down_with_ladder_action

from . import qualifications
from .models import Article, PublicAccount, Qualification, QualificationStatus, ReservedTerm


@admin.register(ReservedTerm)
class ReservedTermAdmin(admin.ModelAdmin):
    list_display = ["term", "kind", "note"]
    list_filter = ["kind"]
    search_fields = ["term", "note"]


@admin.register(PublicAccount)
class PublicAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["handle", "name", "owner", "status", "operator_type", "category", "created_at"]
    list_filter = ["status", "operator_type", "category"]
    list_select_related = ["owner"]
    search_fields = ["handle", "name", "=owner__id"]
    date_hierarchy = "created_at"
    fields = ["name", "handle", "owner", "status", "reserved_terms", "reason_code", "category", "operator_type",
              "operator_name", "operator_code", "introduction", "created_at", "decided_at", "closed_by_penalty",
              "status_before_closure"]
    readonly_fields = fields


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Why are they revoked?"), max_length=300,
                             help_text=_("Told to the owner and kept in the audit log."))


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "licence_type", "licence_number", "issuing_authority", "valid_from",
                    "valid_until", "status", "decided_at", "revoked_at"]
    list_filter = ["status", "licence_type"]
    list_select_related = ["account"]
    search_fields = ["licence_number", "account__handle", "account__name"]
    # The scan is left out: it is shown only to the compliance officer holding the review claim.
    fields = ["account", "licence_type", "licence_number", "issuing_authority", "valid_from", "valid_until", "status",
              "created_at", "decided_at", "decided_by", "reason_code", "revoked_at", "revoked_by", "revoke_reason",
              "reminder_sent_at", "lapsed_notice_sent_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        return qualifications.may_revoke(request.user)

    @admin.action(description=_("Revoke the selected qualifications"), permissions=["revoke"])
    def revoke(self, request, queryset):
        """Ask for a reason, then revoke each approved qualification through the service (audited)."""
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for qualification in queryset.filter(status=QualificationStatus.APPROVED):
                try:
                    qualifications.qualification_revoke(qualification=qualification, actor=request.user,
                                                  reason=form.cleaned_data["reason"])
                except (PermissionDenied, ValidationError) as exc:
                    self.message_user(request, f"{qualification}: {exc}", messages.ERROR)
                else:
                    done += 1
            self.message_user(request, ngettext("%(n)d qualification revoked.", "%(n)d qualifications revoked.", done)
                              % {"n": done}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "publicaccounts/admin/revoke.html", {
            **self.admin_site.each_context(request), "title": _("Revoke qualifications"), "form": form,
            "queryset": queryset, "opts": self.model._meta, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "title", "account", "category", "origin", "published_at"]
    list_filter = ["category", "origin"]
    list_select_related = ["account"]
    search_fields = ["title", "account__handle"]
    date_hierarchy = "published_at"
    fields = ["account", "author", "title", "category", "origin", "source_unit", "original_author", "original_title",
              "original_url", "body", "published_at", "edited_at", "updated_at", "removed_at"]
    readonly_fields = fields
    # A take-down goes through the ladder (a penalty on the public account or its owner, appealable).
    actions = [take_down_with_ladder_action]
