"""The moderators' review queue: thin views over selectors and services; 404 for anyone who may not review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import registry, selectors, services
from .forms import DecisionForm
from .models import ItemStatus

QUEUE_PAGE_SIZE = 50


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
    page = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    stats = selectors.queue_stats(request.user)
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


def _render_item(request, item, kind, *, form=None, unsaved_note: str = "", status: int = 200):
    holds_claim = item.is_claimed_by(request.user)
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
    options = kind.options(item=item, obj=obj, reviewer=request.user) if holds_claim else ()
    if holds_claim and form is None:
        form = DecisionForm(options=options)
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
    }, status=status)


@login_required
@require_safe
def item_detail(request, pk: int):
    """One item: its body, flags and history; the decision form for the moderator who holds the claim."""
    item, kind = _item_or_404(request, pk)
    if item.is_claimed_by(request.user):
        services.review_item_touch(item=item, reviewer=request.user)
        item.refresh_from_db(fields=["last_activity_at"])
    return _render_item(request, item, kind)


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
        form = DecisionForm(request.POST, options=kind.options(item=item, obj=item.target, reviewer=request.user))
        if not form.is_valid():
            return _render_item(request, item, kind, form=form, status=400)
        values = {"decision": form.cleaned_data["decision"], "reason_code": form.reason_code,
                  "note": form.cleaned_data["note"]}
    else:
        # Without a live claim (a double submit, a lapsed claim) the service gives the answer:
        # harmless for a repeat of the decision already made, a clear refusal otherwise.
        decision = request.POST.get("decision", "")
        values = {"decision": decision, "reason_code": request.POST.get(DecisionForm.reason_field(decision), ""),
                  "note": request.POST.get("note", "")}
    try:
        services.review_item_decide(item=item, reviewer=request.user, **values)
    except services.QueueError as exc:
        messages.error(request, str(exc))
        item.refresh_from_db()
        return _render_item(request, item, kind, form=form, unsaved_note=values["note"], status=409)
    messages.success(request, _("Your decision is recorded."))
    return redirect("moderation:queue")
