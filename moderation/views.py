"""The moderators' review queue: thin views over selectors and services; 404 for anyone who may not review."""

import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import registry, selectors, services
from .dashboard import audit_filtered, dashboard_for, note_label, with_note_facts
from .forms import DecisionForm
from .models import ItemStatus

QUEUE_PAGE_SIZE = 50


class _CountedPaginator(Paginator):
    """A paginator told its count (from a query the page runs anyway) instead of counting again."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def _require_reviewer(request) -> dict:
    """The kinds the user may review; a 404 for anyone who may review none (the queue does not exist for them)."""
    kinds = registry.reviewable_kinds(request.user)
    if not kinds:
        raise Http404
    return kinds


def _item_or_404(request, pk: int):
    item = selectors.item_for(request.user, pk)
    if item is None:
        raise Http404
    return item, registry.get(item.kind)


def _queue_url(kind: str = "") -> str:
    url = reverse("moderation:queue")
    return f"{url}?{urlencode({'kind': kind})}" if kind else url


@login_required
@require_safe
def queue(request):
    """Pending items oldest first, with counts per kind, SLA state and who holds each claim."""
    kinds = _require_reviewer(request)
    kind = request.GET.get("kind", "")
    if kind and kind not in kinds:
        raise Http404
    items, lapsed = selectors.queue_for(request.user, kind=kind or None)
    stats = selectors.queue_stats(request.user)
    # The per-kind counts are already there: the paginator need not count 100,000 rows a second time.
    total = sum(s["count"] for s in stats if not kind or s["key"] == kind)
    page = _CountedPaginator(items, QUEUE_PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    return render(request, "moderation/queue.html", {
        "page": page, "rows": selectors.annotate_rows(page.object_list, lapsed=lapsed),
        "stats": stats, "totals": selectors.queue_totals(stats), "current_kind": kind,
        "current_kind_label": kinds[kind].label if kind else "",
    })


@login_required
@require_POST
def claim_next(request):
    """Claim the oldest item the moderator may take (of one kind, or of any) and open it."""
    _require_reviewer(request)
    kind = request.POST.get("kind", "")
    item = services.review_item_claim_next(reviewer=request.user, kind=kind or None)
    if item is None:
        messages.info(request, _("No item is waiting for you right now."))
        return redirect(_queue_url(kind))
    return redirect("moderation:item", pk=item.pk)


def _decision_form(request, item, kind, obj, data=None) -> DecisionForm:
    """The decision form with the kind's options, extra fields, their check and initial values."""
    reviewer = request.user
    form = DecisionForm(
        data, options=kind.options(item=item, obj=obj, reviewer=reviewer),
        extra_fields=kind.extra_fields(item=item, obj=obj, reviewer=reviewer),
        clean_extra=lambda decision, extra: kind.clean_extra(item=item, obj=obj, reviewer=reviewer,
                                                             decision=decision, extra=extra),
        initial=kind.initial(item=item, obj=obj, reviewer=reviewer) if data is None else None,
    )
    if kind.note_label:
        form.fields["note"].label = kind.note_label
    if kind.note_help:
        form.fields["note"].help_text = kind.note_help
    return form


def _render_item(request, item, kind, *, form=None, unsaved_note: str = "", released_reason: str = "",
                 status: int = 200):
    holds_claim = item.is_claimed_by(request.user)
    if kind.shows_identity and registry.may_see_identity(item, request.user):
        # The kind's body shows the real identity in full (to the claim holder only): each such page is on record.
        services.review_item_identity_shown(item=item, reviewer=request.user)
    obj = item.target
    block_reason = ""
    if item.is_pending and not holds_claim:
        if item.claim_is_live():
            block_reason = _("%(name)s is working on this item until %(time)s.") % {
                "name": item.claimed_by.display_name if item.claimed_by else _("Another moderator"),
                "time": timezone.localtime(item.claim_expires_at).strftime("%H:%M"),
            }
        elif registry.has_conflict(request.user, item.subject):
            block_reason = _("You may not review an item of your own or of a friend.")
        else:
            block_reason = kind.conflict(item=item, reviewer=request.user)
    if holds_claim and form is None:
        form = _decision_form(request, item, kind, obj)
    decision_label, reason_label = kind.decision_labels(decision=item.decision, reason_code=item.reason_code)
    # The kind's body gets exactly the context its kind gives it, not this page's variables.
    kind_body = render_to_string(kind.template, {
        "item": item, "obj": obj, **kind.context(item=item, obj=obj, reviewer=request.user),
    }, request=request)
    return render(request, "moderation/item.html", {
        "item": item, "kind": kind, "obj": obj, "holds_claim": holds_claim, "block_reason": block_reason,
        "form": form, "flags": selectors.flag_rows(item, kind), "history": selectors.item_history(item),
        "decision_label": decision_label, "reason_label": reason_label, "kind_body": kind_body,
        "sla": selectors.sla_state(timezone.now() - item.created_at),
        # What the moderator typed is never lost: shown for copying when the form cannot come back.
        "unsaved_note": unsaved_note if not holds_claim else "",
        "released_reason": released_reason,
    }, status=status)


@login_required
@require_safe
def item_detail(request, pk: int):
    """One item: its body, flags and history; the decision form for the moderator who holds the claim."""
    item, kind = _item_or_404(request, pk)
    # A conflict of interest that appeared during the claim (a new friendship) ends the claim here.
    released_reason = services.review_item_release_conflicted(item=item, reviewer=request.user)
    if released_reason:
        item, kind = _item_or_404(request, pk)
    elif item.is_claimed_by(request.user):
        services.review_item_touch(item=item, reviewer=request.user)
        item.refresh_from_db(fields=["last_activity_at"])
    return _render_item(request, item, kind, released_reason=released_reason)


@login_required
@require_POST
def claim(request, pk: int):
    item, _kind = _item_or_404(request, pk)
    try:
        services.review_item_claim(item=item, reviewer=request.user)
    except services.QueueError as exc:
        messages.error(request, str(exc))
    return redirect("moderation:item", pk=item.pk)


@login_required
@require_POST
def release(request, pk: int):
    item, _kind = _item_or_404(request, pk)
    item = services.review_item_release(item=item, reviewer=request.user)
    if item.status == ItemStatus.OPEN:
        messages.success(request, _("You released the item; it is back in the queue."))
    return redirect("moderation:queue")


@login_required
@require_POST
def decide(request, pk: int):
    """Record the decision; a refusal from the queue (lapsed claim, already decided) is shown, never a 500."""
    item, kind = _item_or_404(request, pk)
    form = None
    if item.is_claimed_by(request.user):
        form = _decision_form(request, item, kind, item.target, data=request.POST)
        if not form.is_valid():
            return _render_item(request, item, kind, form=form, status=400)
        values = {"decision": form.cleaned_data["decision"], "reason_code": form.reason_code,
                  "note": form.cleaned_data["note"], "extra": form.extra}
        if request.POST.get("confirmed") == "back":
            # From the confirmation page back to the form, with everything as typed.
            return _render_item(request, item, kind, form=form)
        if request.POST.get("confirmed") != "yes":
            confirmation = kind.confirmation(item=item, obj=item.target, reviewer=request.user, **{
                k: values[k] for k in ("decision", "note", "extra")})
            if confirmation is not None:
                # Irreversible for the user (a closure, an identity ban): say exactly what happens first.
                return render(request, "moderation/decide_confirm.html", {
                    "item": item, "kind": kind, "posted": _posted_fields(request.POST), **confirmation})
    else:
        # Without a live claim (a double submit, a lapsed claim) the service gives the answer:
        # harmless for a repeat of the decision already made, a clear refusal otherwise.
        decision = request.POST.get("decision", "")
        values = {"decision": decision, "reason_code": request.POST.get(DecisionForm.reason_field(decision), ""),
                  "note": request.POST.get("note", ""), "extra": None}
    try:
        services.review_item_decide(item=item, reviewer=request.user, **values)
    except services.QueueError as exc:
        messages.error(request, str(exc))
        item.refresh_from_db()
        return _render_item(request, item, kind, form=form, unsaved_note=values["note"], status=409)
    messages.success(request, _("Your decision is recorded."))
    return redirect("moderation:queue")


def _posted_fields(post) -> list[tuple[str, str]]:
    """The decision form's fields as posted, to send again from the confirmation page."""
    return [(name, value) for name in post if name not in ("csrfmiddlewaretoken", "confirmed")
            for value in post.getlist(name)]


@login_required
@require_safe
def dashboard(request):
    """Queue sizes and the oldest item per kind, and decisions per day of the last 30 days as an SVG chart."""
    _require_reviewer(request)
    return render(request, "moderation/dashboard.html", dashboard_for(request.user))


class _Echo:
    """A file-like object whose write() returns the line: csv.writer then yields rows to a streaming response."""

    def write(self, value):
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula: the export is data, never code.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# No free text: the note column says "note (n chars)" or "note (erased)" (docs/audit.md).
AUDIT_CSV_HEADER = ["id", "seq", "created_at", "actor_id", "action", "target_type", "target_id", "note", "data",
                    "key_id", "note_digest", "prev_hash", "entry_hash"]


@login_required
@require_safe
def audit_export(request):
    """The audit log as CSV, streamed, filtered like the console (actor, action, target, dates); staff only."""
    if not (request.user.is_staff and request.user.has_perm("moderation.view_auditentry")):
        raise Http404
    entries, _values = audit_filtered(request.GET)
    entries = with_note_facts(entries)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(AUDIT_CSV_HEADER)
        for e in entries.iterator(chunk_size=2000):
            yield writer.writerow([_cell(v) for v in (
                e.pk, e.seq, e.created_at.isoformat(), e.actor_id, e.action, e.target_type, e.target_id,
                note_label(e), json.dumps(e.data, ensure_ascii=False, sort_keys=True), e.key_id, e.note_digest,
                e.prev_hash, e.entry_hash)])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
