"""Vouching pages: the applicant's case, the requests sent to a voucher, and staff marking an identity false.

    /verify/vouch/                      the applicant: claim, friends (who may vouch and why not), the case
    /verify/vouch/<case>/withdraw/      the applicant withdraws a running case (POST)
    /verify/vouches/                    requests sent to me; /verify/vouches/<id>/ one of them (404 if not mine)
    /verify/vouches/<id>/confirm/       POST with the statement ticked; /decline/ POST (unknown=1: "I don't know")
    /verify/vouch/cases/<case>/false/   staff: mark a granted identity false (moderators with MFA; 404 otherwise),
                                        linked from the vouch item in /review/ and from the admin's vouch cases

Thin views: fetch with a permission check (404 for what the user may not see), call one service.
"""

import secrets
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.policy import Action
from accounts.staff import staff_mfa_required
from accounts.utils import client_ip
from accounts.views import handle_validation_error
from moderation.services import QueueError

from . import accountability, selectors, services
from .forms import VouchCaseForm, VouchConfirmForm
from .models import VouchCase, VouchCaseStatus

DEVICE_COOKIE_AGE = 2 * 365 * 24 * 60 * 60


def with_device_id(view):
    """Give the browser a long-lived random device id (cookie "did"); only its keyed hash is ever stored."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        device_id = request.COOKIES.get(services.DEVICE_COOKIE, "")
        fresh = not services.device_id_valid(device_id)
        if fresh:
            device_id = secrets.token_urlsafe(24)
        request.vouch_device_id = device_id
        response = view(request, *args, **kwargs)
        if fresh:
            response.set_cookie(services.DEVICE_COOKIE, device_id, max_age=DEVICE_COOKIE_AGE, httponly=True,
                                samesite="Lax", secure=request.is_secure())
        return response

    return wrapped


# --- The applicant ---------------------------------------------------------------

def _vouch_page(request, context: dict, status: int = 200):
    return render(request, "verification/vouch.html", {
        "required": settings.VOUCH_REQUIRED, "max_asked": services.max_asked(),
        "expiry_days": settings.VOUCH_REQUEST_EXPIRY_DAYS, "challenge_hours": settings.VOUCH_CHALLENGE_HOURS,
        **context}, status=status)


@login_required
@with_device_id
def vouch(request):
    """Ask three or more verified friends to confirm your real name, or follow the case you started."""
    user = request.user
    decision = policy.check(user, Action.START_VERIFICATION)
    if not decision:
        return _vouch_page(request, {"decision": decision})
    case = selectors.vouch_case_open_for(user)
    if case is not None:
        return _vouch_page(request, {"case": case})
    latest = selectors.vouch_case_latest_for(user)
    refusal = services.vouch_refusal(user=user)
    if refusal:
        return _vouch_page(request, {"refusal": refusal, "latest": latest})
    rows = selectors.voucher_eligibility(user)
    form = VouchCaseForm(request.POST or None, eligible_ids=[row.user.pk for row in rows if row.eligible])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.vouch_case_create(applicant=user, kind=data["kind"], real_name=data["real_name"],
                                           document_number=data["document_number"], voucher_ids=data["vouchers"],
                                           ip=client_ip(request), device_id=request.vouch_device_id)
            except policy.PolicyDenied as exc:
                form.add_error(None, exc.decision.reason)
            except ValidationError as exc:
                handle_validation_error(form, exc)
            else:
                messages.success(request, _("Your friends have been asked. We will tell you when they answer."))
                return redirect("verification:vouch")
        status = 400
    checked = {str(pk) for pk in (request.POST.getlist("vouchers") if request.method == "POST" else [])}
    return _vouch_page(request, {"form": form, "rows": rows, "checked": checked, "latest": latest,
                                 "eligible_count": sum(row.eligible for row in rows)}, status=status)


@login_required
@require_POST
def vouch_withdraw(request, pk: int):
    """The applicant takes back a running case."""
    case = get_object_or_404(VouchCase, pk=pk, applicant=request.user)
    try:
        services.vouch_case_withdraw(case=case, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your vouch case was withdrawn. The friends you asked no longer need to answer."))
    return redirect("verification:vouch")


# --- The voucher ------------------------------------------------------------------

def _card(vouch_request, form=None) -> dict:
    name = vouch_request.case.identity.real_name if vouch_request.is_pending else ""
    # "vr", not "request": templates already have the HTTP request under that name.
    return {"vr": vouch_request, "form": form or VouchConfirmForm(name=name)}


@login_required
@with_device_id
def vouches(request):
    """Requests sent to me: who asks, the name they claim, the masked number, what vouching means."""
    pending, answered = selectors.vouch_requests_for(request.user)
    return render(request, "verification/vouch_requests.html", {
        "cards": [_card(r) for r in pending], "answered": answered, **_liability()})


def _liability() -> dict:
    return {"recheck_days": settings.VOUCH_RECHECK_DAYS, "max_open": settings.VOUCHER_MAX_OPEN,
            "max_period": settings.VOUCHER_MAX_PER_PERIOD, "period_days": settings.VOUCHER_PERIOD_DAYS}


def _request_or_404(request, pk: int):
    found = selectors.vouch_request_for_voucher(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


def _request_page(request, vouch_request, form=None, status: int = 200):
    return render(request, "verification/vouch_request.html", {**_card(vouch_request, form), **_liability()},
                  status=status)


@login_required
@with_device_id
def vouch_request(request, pk: int):
    """One request sent to me (404 for anyone else)."""
    return _request_page(request, _request_or_404(request, pk))


@login_required
@require_POST
@with_device_id
def vouch_request_confirm(request, pk: int):
    """Confirm with the explicit statement; a second click changes nothing."""
    vouch_request = _request_or_404(request, pk)
    name = vouch_request.case.identity.real_name if vouch_request.is_pending else ""
    form = VouchConfirmForm(request.POST, name=name)
    if vouch_request.status == vouch_request.Status.CONFIRMED:
        messages.info(request, _("You have already confirmed this request."))
        return redirect("verification:vouches")
    if not form.is_valid():
        return _request_page(request, vouch_request, form=form, status=400)
    try:
        services.vouch_request_confirm(vouch_request=vouch_request, actor=request.user, statement=True,
                                       ip=client_ip(request), device_id=request.vouch_device_id)
    except ValidationError as exc:
        form.add_error(None, exc.messages[0])
        vouch_request.refresh_from_db()
        return _request_page(request, vouch_request, form=form, status=409)
    messages.success(request, _("Thank you. Your confirmation is recorded."))
    return redirect("verification:vouches")


@login_required
@require_POST
def vouch_request_decline(request, pk: int):
    """Decline; "I don't know this person" (unknown=1) also sends the case to a moderator."""
    vouch_request = _request_or_404(request, pk)
    unknown = request.POST.get("unknown") == "1"
    try:
        services.vouch_request_decline(vouch_request=vouch_request, actor=request.user, unknown=unknown)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Thank you. We told a moderator that you do not know this person.") if unknown
                         else _("You declined the request."))
    return redirect("verification:vouches")


# --- Staff ---------------------------------------------------------------------------

@login_required
@staff_mfa_required
def vouch_mark_false(request, pk: int):
    """Staff (moderators, with MFA) mark a granted vouched identity false; 404 for everyone else."""
    if not accountability.may_mark_false(request.user):
        raise Http404
    case = selectors.vouch_case_for_review(pk)
    if case is None:
        raise Http404
    error = ""
    note = request.POST.get("note", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            accountability.vouch_identity_mark_false(case=case, moderator=request.user, note=note)
        except (ValidationError, QueueError, PermissionDenied) as exc:
            error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        else:
            messages.success(request, _("The identity was marked false. The vouchers received strikes and the "
                                        "cases they confirmed are back in the review queue."))
            return redirect("moderation:queue")
    return render(request, "verification/vouch_mark_false.html", {
        "case": case, "note": note, "error": error, "granted": case.status == VouchCaseStatus.GRANTED,
        "recheck_days": settings.VOUCH_RECHECK_DAYS}, status=400 if error else 200)
