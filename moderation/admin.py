"""Staff console for moderation: the audit log and review items (read-only), penalties and the ladder, reports."""

from django import forms
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
from core.admin import ReadOnlyAdminMixin

from . import ladder, notes, reports, selectors, targets
from .dashboard import note_label, with_note_facts
from .forms import DismissCasesForm, LadderActionForm
from .models import (
    AccountNote,
    Appeal,
    AuditEntry,
    IdentityBan,
    ItemStatus,
    Penalty,
    Report,
    ReviewItem,
    Rung,
    Strike,
)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Viewing only: the log is append-only and queue items change through the queue's services."""


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
        """Apply one rung to chosen users, or take one piece of content down, with the queue's form and service.

        The form (forms.LadderActionForm: the queue's ladder fields and checks), then a confirmation page
        showing each account's suggested rung and strikes and the notice they will read, then
        penalty_apply() for each account.
        """
        if not request.user.has_perm("moderation.add_penalty"):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        content_key = source.get("content", "")
        target, content = _content_for(content_key)
        if content_key and content is None:
            self.message_user(request, _("This content no longer exists."), messages.ERROR)
            return redirect("admin:moderation_penalty_changelist")
        data = None
        if request.method == "POST":
            data = request.POST.copy()
            if content is not None:
                # A take-down is about the content's owner, whatever ids the page sent.
                data["ids"] = str(target.owner(content).pk)
        ids_initial = str(target.owner(content).pk) if content is not None else request.GET.get("ids", "")
        may_close = ladder.may_close(request.user)
        public_subject = bool(content is not None and target.penalty_subject is not None)
        form = LadderActionForm(data, may_close=may_close, suggested_for=_suggested_for, public_subject=public_subject,
                                initial={"ids": ids_initial, "action": _common_suggestion(ids_initial),
                                         "duration": "7"})
        if content is not None:
            form.fields["ids"].widget = forms.HiddenInput()
        users = []
        if form.is_valid():
            users = list(User.objects.filter(pk__in=form.cleaned_data["ids"]).select_related("profile").order_by("pk"))
            if not users:
                form.add_error("ids", _("No user has these ids."))
        public_account = None
        if form.is_valid() and public_subject and form.cleaned_data.get("apply_to") == "public_account":
            public_account = target.penalty_subject(content)
        if form.is_valid() and users and request.POST.get("confirm") == "yes":
            applied, errors = self._apply(request, form, users, content=content, public_account=public_account)
            if applied:
                self.message_user(request, _("Applied to %(n)d account(s).") % {"n": applied}, messages.SUCCESS)
                for error in errors:
                    self.message_user(request, error, messages.ERROR)
                return redirect("admin:moderation_penalty_changelist")
            # Nothing applied: the form comes back with what was typed and why.
            for error in errors:
                form.add_error(None, error)
        confirming = form.is_valid() and bool(users)
        ids_raw = data.get("ids", "") if data is not None else ids_initial
        rows = _account_rows(users or User.objects.filter(pk__in=_parse_ids(ids_raw)).select_related("profile")[:50],
                             form.suggested)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "users": users,
            "rows": rows, "confirming": confirming, "may_close": may_close, "content": content,
            "content_key": content_key if content is not None else "", "target": target,
            "title": _("Confirm the ladder action") if confirming else _("Apply a ladder action"),
            "window_days": selectors.strike_window().days,
        }
        if confirming:
            context.update(_confirmation(form, users, public_account=public_account, content=content))
        return TemplateResponse(request, "admin/moderation/penalty/apply.html", context)

    def _apply(self, request, form, users, *, content, public_account) -> tuple[int, list[str]]:
        applied, errors = 0, []
        targets_ = [None] if public_account is not None else users
        for user in targets_:
            owner_pk = user.pk if user is not None else users[0].pk
            try:
                ladder.penalty_apply(
                    target_user=user, public_account=public_account, action=form.cleaned_data["action"],
                    rule=form.cleaned_data["rule"], reason=form.cleaned_data["reason"],
                    duration_days=form.duration_days, moderator=request.user, ban_days=form.ban_value,
                    remove_content=content,
                    extra_audit={"suggested": form.suggested.get(owner_pk),
                                 "rung_reason": (form.cleaned_data.get("rung_reason") or "").strip(),
                                 "via": "console"})
            except ladder.PenaltyError as exc:
                errors.append(f"#{owner_pk}: {exc}")
            else:
                applied += 1
        return applied, errors


def _parse_ids(raw: str) -> list[int]:
    return sorted({int(p) for p in (raw or "").replace(" ", ",").split(",") if p.strip().isdigit()})


def _suggested_for(ids) -> dict[int, int]:
    """Each account's suggested rung, as the queue computes it for the owner of a reported item."""
    return {user.pk: selectors.suggested_rung(user) for user in User.objects.filter(pk__in=ids)}


def _common_suggestion(raw_ids: str) -> int:
    """The rung to preselect: the accounts' suggestion when they share one, else a warning."""
    suggested = set(_suggested_for(_parse_ids(raw_ids)[:50]).values())
    return suggested.pop() if len(suggested) == 1 else Rung.WARN


def _content_for(key: str):
    """("moment:12") -> (target type, object); (None, None) when the key is empty or unknown."""
    kind, _sep, pk = (key or "").partition(":")
    if not kind or not pk.isdigit():
        return None, None
    target, obj = targets.resolve(kind, int(pk))
    if target is None or obj is None or not target.removable:
        return None, None
    return target, obj


def _account_rows(users, suggested: dict) -> list[dict]:
    """Per account: who, its language, the suggested rung and the strikes of the window."""
    rows = []
    for user in users:
        rung = suggested.get(user.pk)
        rows.append({"user": user, "suggested": Rung(rung if rung is not None else selectors.suggested_rung(user)),
                     "strikes": selectors.strike_history(user), "language": user.get_language_display()})
    return rows


def _confirmation(form, users, *, public_account, content) -> dict:
    """What the confirmation page states: the effect, and the notice each account will read, in both languages."""
    cleaned = form.cleaned_data
    preview = ladder.penalty_preview(action=cleaned["action"], rule=cleaned["rule"], reason=cleaned["reason"],
                                     duration_days=form.duration_days)
    return {
        "preview": preview,
        "action_label": preview.get_action_display(),
        "rule_label": preview.get_rule_display(),
        "ban_value": form.ban_value,
        "notices": ladder.penalty_notice_translations(preview, public_account=public_account, ban=form.ban_value),
        "public_account": public_account,
        "closing": cleaned["action"] == Rung.CLOSE,
        "removes_content": content is not None,
    }


@admin.action(description=_("Apply a ladder action (warn, restrict, suspend, close) to the selected users…"))
def apply_ladder_action(modeladmin, request, queryset):
    ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True)[:500])
    return redirect(f"{reverse('admin:moderation_penalty_apply')}?{urlencode({'ids': ids})}")


@admin.action(description=_("Take down with a ladder action (penalty on the owner, appealable)…"))
def take_down_with_ladder_action(modeladmin, request, queryset):
    """For content admins (moments, comments, articles): one item at a time, through the ladder's apply page."""
    items = list(queryset[:2])
    if len(items) != 1:
        modeladmin.message_user(request, _("Choose exactly one item to take down."), messages.ERROR)
        return None
    target = targets.for_object(items[0])
    if target is None or not target.removable:
        modeladmin.message_user(request, _("This content cannot be removed."), messages.ERROR)
        return None
    key = f"{target.key}:{items[0].pk}"
    return redirect(f"{reverse('admin:moderation_penalty_apply')}?{urlencode({'content': key})}")


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


# --- Staff notes about accounts ------------------------------------------------------------------

class AccountNoteForm(forms.ModelForm):
    text = forms.CharField(label=_("note"), max_length=notes.NOTE_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 4, "maxlength": notes.NOTE_MAX_CHARS}),
                           help_text=_("Staff read it; it is erased with the account. Never write a document "
                                       "number or a phone number here."))

    class Meta:
        model = AccountNote
        fields = ["user", "text"]


@admin.register(AccountNote)
class AccountNoteAdmin(admin.ModelAdmin):
    """Notes are added through account_note_add() (audited by reference) and never edited afterwards."""

    form = AccountNoteForm
    list_display = ["id", "created_at", "user", "author", "excerpt"]
    list_select_related = ["user", "author"]
    search_fields = ["=user__id"]
    search_help_text = _("Search by account id (exact).")
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = ["user", "author", "text", "created_at"]

    @admin.display(description=_("note"))
    def excerpt(self, obj):
        return obj.text if len(obj.text) <= 80 else f"{obj.text[:79]}…"

    def get_readonly_fields(self, request, obj=None):
        # Writing is only on the add page; an existing note is a record.
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ["user", "text"] if obj is None else ["user", "author", "text", "created_at"]

    def has_change_permission(self, request, obj=None):
        # Viewing stays allowed (view permission); a note is never rewritten.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service, never obj.save(): the note and its audit entry are written together."""
        if change:  # pragma: no cover - change permission is refused above
            raise PermissionDenied
        note = notes.account_note_add(user=form.cleaned_data["user"], author=request.user,
                                      text=form.cleaned_data["text"])
        obj.pk = note.pk
        obj.author = note.author
        obj.created_at = note.created_at

    def save_related(self, request, form, formsets, change):
        """Nothing related is saved here."""
