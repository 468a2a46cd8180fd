"""Staff console for moderation: the audit log and review items (read-only), penalties and the ladder, reports."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from . import ladder, reports
from .dashboard import note_label, with_note_facts
from .forms import DismissCasesForm, LadderActionForm
from .models import (
    Appeal,
    AuditEntry,
    IdentityBan,
    ItemStatus,
    Penalty,
    Report,
    ReviewItem,
    Rule,
    Rung,
    Strike,
)


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
    list_display = ["created_at", "action", "actor_ref", "target_type", "target_id", "note_ref", "chain_state"]
    # Only users who appear in the log are offered, not every account.
    list_filter = ["action", "target_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "created_at"
    # Adds "Export CSV" carrying the changelist's filters (moderation:audit_export).
    change_list_template = "admin/moderation/auditentry/change_list.html"
    # Exact match: target ids are numbers, and "1" must not also find 10, 11, 100...
    search_fields = ["=target_id"]
    search_help_text = _("Search by target id (exact).")
    # No free text: a note shows as its length (its text may hold a name, a number or a phone).
    fields = ["created_at", "actor_ref", "action", "target_type", "target_id", "note_ref", "data", "seq", "key_id",
              "note_digest", "prev_hash", "entry_hash"]
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request):
        return with_note_facts(super().get_queryset(request))

    @admin.display(description=_("actor"), ordering="actor_id")
    def actor_ref(self, obj):
        # The id, not the user row: the actor may have been deleted since, and the entry still names them.
        return f"#{obj.actor_id}" if obj.actor_id else "-"

    @admin.display(description=_("note"))
    def note_ref(self, obj):
        return note_label(obj) or "-"

    @admin.display(description=_("chain"), ordering="seq")
    def chain_state(self, obj):
        return f"#{obj.seq}" if obj.seq is not None else gettext("pending")


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


# --- Penalties and the ladder ------------------------------------------------------------

@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    """Penalties change only through the ladder's services: the apply view here, the queue, appeals."""

    list_display = ["id", "created_at", "action", "subject", "owner", "rule", "status", "ends_at", "in_force",
                    "moderator"]
    list_filter = ["action", "rule", "status", ("moderator", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "created_at"
    search_fields = ["=id", "=user__id", "=owner__id"]
    list_select_related = ["user", "owner", "moderator", "content_type"]
    fields = ["user", "content_type", "object_id", "owner", "action", "rule", "reason", "status", "created_at",
              "ends_at", "moderator", "case", "removed", "overturned_at", "overturned_by", "notified_end_at"]
    readonly_fields = fields
    change_list_template = "admin/moderation/penalty/change_list.html"

    @admin.display(description=_("applies to"))
    def subject(self, obj):
        if obj.on_public_account:
            return _("public account #%(id)s") % {"id": obj.object_id}
        return f"#{obj.user_id}" if obj.user_id else "-"

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj):
        return obj.is_in_force()

    def get_urls(self):
        return [path("apply/", self.admin_site.admin_view(self.apply_view), name="moderation_penalty_apply"),
                *super().get_urls()]

    def apply_view(self, request):
        """Apply one rung to the chosen users: the form, then a confirmation page, then penalty_apply() for each."""
        if not request.user.has_perm("moderation.add_penalty"):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = LadderActionForm(data, initial={"ids": request.GET.get("ids", ""), "action": Rung.WARN})
        users = []
        if form.is_valid():
            users = list(User.objects.filter(pk__in=form.cleaned_data["ids"]).select_related("profile").order_by("pk"))
            if not users:
                form.add_error("ids", _("No user has these ids."))
        if form.is_valid() and users and request.POST.get("confirm") == "yes":
            applied, errors = 0, []
            for user in users:
                try:
                    ladder.penalty_apply(target_user=user, action=form.cleaned_data["action"],
                                         rule=form.cleaned_data["rule"], reason=form.cleaned_data["reason"],
                                         duration_days=form.cleaned_data.get("duration_days"),
                                         moderator=request.user, ban_days=form.ban_value)
                except ladder.PenaltyError as exc:
                    errors.append(f"#{user.pk}: {exc}")
                else:
                    applied += 1
            if applied:
                self.message_user(request, _("Applied to %(n)d account(s).") % {"n": applied}, messages.SUCCESS)
                for error in errors:
                    self.message_user(request, error, messages.ERROR)
                return redirect("admin:moderation_penalty_changelist")
            # Nothing applied: the form comes back with what was typed and why.
            for error in errors:
                form.add_error(None, error)
        confirming = form.is_valid() and bool(users)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "users": users,
            "confirming": confirming, "title": _("Confirm the ladder action") if confirming else _("Apply a ladder action"),
            "action_label": dict(Rung.choices).get(form.cleaned_data.get("action")) if confirming else "",
            "rule_label": dict(Rule.choices).get(form.cleaned_data.get("rule")) if confirming else "",
            "may_close": ladder.may_close(request.user),
        }
        return TemplateResponse(request, "admin/moderation/penalty/apply.html", context)


@admin.action(description=_("Apply a ladder action (warn, restrict, suspend, close) to the selected users…"))
def apply_ladder_action(modeladmin, request, queryset):
    ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True)[:500])
    return redirect(f"{reverse('admin:moderation_penalty_apply')}?{urlencode({'ids': ids})}")


# The action belongs on the users list; moderation may reach down to accounts' admin, never the reverse.
try:
    _user_admin = admin.site.get_model_admin(User)
except admin.sites.NotRegistered:  # pragma: no cover - accounts' admin always loads first
    _user_admin = None
if _user_admin is not None and apply_ladder_action not in (_user_admin.actions or ()):
    _user_admin.actions = [*(_user_admin.actions or ()), apply_ladder_action]


@admin.register(Strike)
class StrikeAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "user", "severity", "rule", "penalty", "overturned_at"]
    list_filter = ["severity", "rule"]
    date_hierarchy = "created_at"
    search_fields = ["=user__id"]
    list_select_related = ["user", "penalty"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "appellant", "penalty", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    list_select_related = ["appellant", "penalty", "decided_by"]


@admin.register(IdentityBan)
class IdentityBanAdmin(ReadOnlyAdmin):
    # The fingerprint is a keyed hash: showing it reveals nothing, and staff can match it with a reveal.
    list_display = ["id", "created_at", "short_fingerprint", "until", "lifted_at", "penalty"]
    list_filter = [("until", admin.EmptyFieldListFilter), ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["=fingerprint"]

    @admin.display(description=_("fingerprint"))
    def short_fingerprint(self, obj):
        return f"{obj.fingerprint[:12]}…"


# --- Reports -------------------------------------------------------------------------------

@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "category", "reporter", "case_link", "case_status", "outcome"]
    list_filter = ["category", "case__outcome", "case__target_key"]
    date_hierarchy = "created_at"
    search_fields = ["=case__item__id", "=reporter__id"]
    list_select_related = ["reporter", "case__item"]
    actions = ["dismiss_cases"]

    @admin.display(description=_("case"))
    def case_link(self, obj):
        return format_html('<a href="{}">#{}</a>', reverse("moderation:item", args=[obj.case_id]), obj.case_id)

    @admin.display(description=_("case status"))
    def case_status(self, obj):
        return obj.case.item.get_status_display()

    @admin.display(description=_("outcome"))
    def outcome(self, obj):
        return obj.case.get_outcome_display()

    @admin.action(description=_("Dismiss the cases of the selected reports (no violation)…"))
    def dismiss_cases(self, request, queryset):
        """Ask for confirmation, then dismiss each open case through the queue (claim and decide)."""
        items = list(ReviewItem.objects.filter(
            pk__in=queryset.values("case_id"), status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).order_by("pk"))
        form = DismissCasesForm(request.POST if request.POST.get("post") == "yes" else None)
        if request.POST.get("post") == "yes" and form.is_valid():
            done, errors = reports.report_cases_dismiss(items=items, actor=request.user, note=form.cleaned_data["note"])
            if done:
                self.message_user(request, _("Dismissed %(n)d case(s); the reporters are told.") % {"n": done},
                                  messages.SUCCESS)
            for error in errors:
                self.message_user(request, error, messages.ERROR)
            return None
        return TemplateResponse(request, "admin/moderation/report/dismiss_confirm.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Dismiss report cases"),
            "items": items, "queryset": queryset, "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })
