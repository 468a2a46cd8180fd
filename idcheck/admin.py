"""Staff console for the ID check: the read-only ledger and this month's spend against the budget."""

from decimal import Decimal

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import IdCheckQuery
from .selectors import idcheck_budget_summary


def yuan(fen: int) -> str:
    """500 -> "¥5.00"."""
    return f"¥{Decimal(fen or 0) / 100:,.2f}"


@admin.register(IdCheckQuery)
class IdCheckQueryAdmin(admin.ModelAdmin):
    """The ledger is a financial record: nobody adds, edits or deletes a row by hand."""

    list_display = ["id", "short_fingerprint", "result", "cost_yuan", "requested_by_id", "backend", "created_at"]
    list_filter = ["result", "backend", "created_at"]
    # Exact matches only: staff paste a fingerprint or a request id from a log line or the provider's bill.
    search_fields = ["=fingerprint", "=request_id", "=reference"]
    date_hierarchy = "created_at"
    fields = ["request_id", "fingerprint", "requested_by_id", "backend", "result", "reference", "cost_yuan",
              "created_at", "completed_at"]
    readonly_fields = fields

    @admin.display(description=_("fingerprint"), ordering="fingerprint")
    def short_fingerprint(self, obj):
        return f"{obj.fingerprint[:12]}…"

    @admin.display(description=_("cost"), ordering="cost_fen")
    def cost_yuan(self, obj):
        return yuan(obj.cost_fen)

    @admin.display(description=_("requested by (user id)"), ordering="requested_by_id")
    def requested_by_id(self, obj):
        return obj.requested_by_id or "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        summary = idcheck_budget_summary()
        extra_context = {
            **(extra_context or {}),
            "idcheck_budget": summary,
            "idcheck_spent": yuan(summary.spent_fen),
            "idcheck_limit": yuan(summary.budget_fen),
            "idcheck_remaining": yuan(summary.remaining_fen),
        }
        return super().changelist_view(request, extra_context=extra_context)
