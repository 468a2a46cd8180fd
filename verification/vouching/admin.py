"""Staff console for the vouching room: cases with their requests, and vouchers' strikes (read-only)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .models import VouchCase, VouchCaseStatus, VoucherStrike, VouchRequest


class VouchRequestInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = VouchRequest
    fk_name = "case"
    fields = ["voucher", "status", "created_at", "expires_at", "decided_at"]
    readonly_fields = fields
    extra = 0


@admin.register(VouchCase)
class VouchCaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Vouch cases are evidence: staff look; a granted one is marked false on its own page (moderators, MFA)."""

    list_display = ["id", "applicant", "status", "masked_name", "masked_number", "created_at", "challenge_ends_at",
                    "decided_at"]
    list_filter = ["status"]
    list_select_related = ["applicant", "identity"]
    search_fields = ["applicant__email"]
    date_hierarchy = "created_at"
    fields = ["applicant", "status", "masked_name", "masked_number", "document_kind", "created_at",
              "challenge_ends_at", "decided_at", "decided_by", "note", "mark_false"]
    readonly_fields = fields
    inlines = [VouchRequestInline]

    @admin.display(description=_("real name"))
    def masked_name(self, obj):
        return obj.identity.masked_name

    @admin.display(description=_("document number"))
    def masked_number(self, obj):
        return obj.identity.masked_number

    @admin.display(description=_("false identity"))
    def mark_false(self, obj):
        if obj.status != VouchCaseStatus.GRANTED:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("verification:vouch_mark_false", kwargs={"pk": obj.pk}),
                           _("Mark this identity false…"))


@admin.register(VoucherStrike)
class VoucherStrikeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "case", "reason", "created_at", "created_by", "lifted_at"]
    list_filter = ["reason"]
    list_select_related = ["user", "case", "created_by"]
    search_fields = ["user__email"]
