"""Staff console for moderation: the audit log and the review items, both read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, ReviewItem


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: the log is append-only and queue items change through the queue's services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_ref", "target_type", "target_id", "short_reason"]
    # Only users who appear in the log are offered, not every account.
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "created_at"
    # Exact match: target ids are numbers, and "1" must not also find 10, 11, 100...
    search_fields = ["=target_id"]
    search_help_text = _("Search by target id (exact).")
    fields = ["created_at", "actor_ref", "action", "target_type", "target_id", "reason", "data", "prev_hash", "entry_hash"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("actor"), ordering="actor_id")
    def actor_ref(self, obj):
        # The id, not the user row: the actor may have been deleted since, and the entry still names them.
        return f"#{obj.actor_id}" if obj.actor_id else "-"

    @admin.display(description=_("reason"))
    def short_reason(self, obj):
        return obj.reason if len(obj.reason) <= 80 else f"{obj.reason[:79]}…"


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "subject", "created_at", "claimed_by", "decided_by", "decision", "decided_at"]
    list_filter = ["status", "kind"]
    date_hierarchy = "created_at"
    search_fields = ["=id", "=subject__id"]
    list_select_related = ["subject", "claimed_by", "decided_by"]
    fields = ["kind", "status", "content_type", "object_id", "subject", "summary", "flags", "created_at",
              "claimed_by", "claimed_at", "last_activity_at", "decided_by", "decided_at", "decision", "reason_code", "note"]
    readonly_fields = fields
