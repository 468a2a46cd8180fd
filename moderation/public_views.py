"""User-facing moderation pages: report something, my status, the closure notice, appeal an action."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action

from . import appeals, reports, selectors, targets
from .forms import AppealForm, ReportForm
from .models import Penalty


def _safe_next(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


@login_required
def report(request, target_key: str, pk: int):
    """Report one target: a 404 for what the reporter may not see; what they typed is kept on any refusal."""
    target, obj = targets.resolve(target_key, pk)
    if obj is None or not target.visible_to(request.user, obj):
        raise Http404
    decision = policy.check(request.user, Action.REPORT)
    back = _safe_next(request, target.url(obj) or "/")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and decision and form.is_valid():
        try:
            reports.report_create(reporter=request.user, target_key=target_key, obj=obj,
                                  category=form.cleaned_data["category"], text=form.cleaned_data["text"])
        except policy.PolicyDenied as exc:
            form.add_error(None, exc.decision.reason)
        except reports.ReportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you. A moderator will look at your report, and you will be told "
                                        "the outcome."))
            return redirect(back)
    return render(request, "moderation/report.html", {
        "form": form, "target": target, "obj": obj, "decision": decision, "next": back,
    }, status=400 if request.method == "POST" else 200)


@login_required
def status(request):
    """My level, the penalties in force and until when, my record of strikes, and my appeals."""
    return render(request, "moderation/status.html", selectors.status_for(request.user))


@login_required
def closed(request):
    """The closure notice: what, why, since when, and the way to appeal. Nothing else of the site is open."""
    closure = selectors.closure_for(request.user)
    if closure is None:
        return redirect("moderation_public:status")
    return render(request, "moderation/closed.html", {
        "penalty": closure, "appeal": getattr(closure, "appeal", None), "appeal_refusal": selectors.appeal_refusal(closure),
        "bans": list(closure.identity_bans.all()),
    })


@login_required
def appeal_create(request, penalty_pk: int):
    """Appeal one of my actions, once, within the window; a 404 for anyone else's."""
    penalty = get_object_or_404(Penalty.objects.select_related("appeal"), pk=penalty_pk, owner=request.user)
    refusal = selectors.appeal_refusal(penalty)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            appeals.appeal_create(penalty=penalty, appellant=request.user, statement=form.cleaned_data["statement"])
        except appeals.AppealError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your appeal is sent. You will be told the decision."))
            closed_now = selectors.user_is_closed(request.user)
            return redirect("moderation_public:closed" if closed_now else "moderation_public:status")
    return render(request, "moderation/appeal_form.html", {"form": form, "penalty": penalty, "refusal": refusal},
                  status=400 if request.method == "POST" else 200)
