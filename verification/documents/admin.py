"""Staff console for the document room: document kinds (editable), submissions (read-only, masked identity)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .models import DocumentImage, DocumentKind, DocumentSubmission


@admin.register(DocumentKind)
class DocumentKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "sides", "number_format", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active", "number_format"]
    fieldsets = [
        (None, {"fields": ["code", "name_zh", "name_en", "active", "order"]}),
        (_("Images"), {"fields": ["sides", "side1_label_zh", "side1_label_en", "side2_label_zh", "side2_label_en"]}),
        (_("Number"), {"fields": ["number_format", "number_regex", "number_hint_zh", "number_hint_en"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The code is stored with every identity proven by this kind and is part of its fingerprint.
        return ["code"] if obj is not None and obj.submissions.exists() else []

    def has_delete_permission(self, request, obj=None):
        # Kinds that were used stay as the record of what was proven; deactivate them instead.
        return obj is None or not obj.submissions.exists()


class DocumentImageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DocumentImage
    # The file fields are left out: document images are seen only by a reviewer holding the claim.
    fields = ["side", "content_type", "width", "height", "sha256", "processed_at", "purged_at"]
    readonly_fields = fields
    extra = 0


@admin.register(DocumentSubmission)
class DocumentSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "kind", "status", "masked_name", "masked_number", "created_at", "decided_at",
                    "decided_by"]
    list_filter = ["status", "kind"]
    list_select_related = ["user", "kind", "identity", "decided_by"]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"
    fields = ["user", "kind", "status", "masked_name", "masked_number", "identity_status", "created_at",
              "processed_at", "failure_code", "decided_at", "decided_by", "reason_code", "note"]
    readonly_fields = fields
    inlines = [DocumentImageInline]

    @admin.display(description=_("real name"))
    def masked_name(self, obj):
        return obj.identity.masked_name

    @admin.display(description=_("document number"))
    def masked_number(self, obj):
        return obj.identity.masked_number

    @admin.display(description=_("identity status"))
    def identity_status(self, obj):
        return obj.identity.get_status_display()
