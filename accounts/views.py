"""Thin views: parse a form, call one service, redirect or render."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from . import deletion, policy, services
from .forms import AgreementAcceptForm, DeletionForm, PhoneCodeForm, PhoneForm, ProfileForm
from .models import Notification, PhoneNumber
from .selectors import deletion_pending_for
from .utils import client_ip, user_agent


def _safe_next(request, default="/"):
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


def agreement(request):
    """Anyone may read the agreement; a logged-in user who has not accepted it does so here."""
    current = services.agreement_current()
    accepted = (request.user.is_authenticated and current is not None
                and services.agreement_accepted(user=request.user, version=current))
    form = AgreementAcceptForm(request.POST or None)
    if request.method == "POST" and request.user.is_authenticated and current is not None:
        if form.is_valid():
            services.agreement_accept(user=request.user, version=current,
                                      ip_address=client_ip(request), user_agent=user_agent(request))
            request.session["agreement_accepted_version"] = current.pk
            messages.success(request, _("Thank you. You accepted version %(v)s of the agreement.") % {"v": current.version})
            return redirect(_safe_next(request))
    return render(request, "accounts/agreement.html", {
        "agreement": current, "accepted": accepted, "form": form, "next": _safe_next(request, ""),
        "body": current.body_for(request.LANGUAGE_CODE) if current else "",
    })


@login_required
def me(request):
    """Edit the public face: nickname, handle, avatar, bio."""
    # An account without a profile yet gets a neutral nickname, never one taken from its email.
    profile = services.profile_create(user=request.user)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, nickname=form.cleaned_data["nickname"],
                                    bio=form.cleaned_data.get("bio", ""), handle=form.cleaned_data.get("handle"),
                                    avatar=form.cleaned_data.get("avatar_upload"))
        except policy.PolicyDenied as exc:
            messages.error(request, exc.decision.reason)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:me")
    return render(request, "accounts/me.html", {"form": form, "profile": profile})


@sensitive_post_parameters("number", "code")  # never in an error report
@login_required
def phone(request):
    """Step 1: send a code to a number. Step 2: type the code. Success means level 1."""
    current = PhoneNumber.objects.filter(user=request.user).first()
    challenge = services.phone_pending_challenge(user=request.user)
    # Never pre-filled with the full number: the page names it masked ("code sent to 138****8000").
    number_form = PhoneForm()
    code_form = PhoneCodeForm()
    if request.method == "POST" and request.POST.get("step") == "send":
        number_form = PhoneForm(request.POST)
        if number_form.is_valid():
            if not ratelimit.consume(request, action="phone_send_code", user=request.user):
                number_form.add_error(None, _("Too many codes were sent. Please wait a while before asking again."))
            else:
                try:
                    services.phone_send_code(user=request.user, number=number_form.cleaned_data["number"])
                except services.PhoneError as exc:
                    number_form.add_error("number", str(exc))
                else:
                    messages.success(request, _("We sent a 6-digit code by SMS. It is valid for 10 minutes."))
                    return redirect("accounts:phone")
    elif request.method == "POST" and request.POST.get("step") == "confirm":
        code_form = PhoneCodeForm(request.POST)
        if code_form.is_valid():
            if not ratelimit.consume(request, action="phone_check_code", user=request.user):
                code_form.add_error("code", _("Too many attempts. Please wait a minute."))
            else:
                try:
                    services.phone_confirm(user=request.user, code=code_form.cleaned_data["code"])
                except services.PhoneError as exc:
                    code_form.add_error("code", str(exc))
                else:
                    messages.success(request, _("Your phone number is confirmed. You are now at level 1."))
                    return redirect(_safe_next(request, "/"))
    return render(request, "accounts/phone.html", {
        "current": current, "challenge": challenge, "number_form": number_form, "code_form": code_form,
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request):
    """Ask to delete the account: what happens, the password again, then the cooling-off period starts."""
    form = DeletionForm(request.user, request.POST or None)
    if request.method == "POST":
        # The password is checked here: without a limit this page would be a way to guess it.
        if not ratelimit.consume(request, action="reauthenticate", user=request.user):
            form.add_error(None, _("Too many attempts. Please wait a minute."))
        elif form.is_valid():
            try:
                pending = deletion.deletion_start(user=request.user)
            except deletion.DeletionError as exc:
                form.add_error(None, str(exc))
            else:
                logout(request)
                messages.success(request, _("Your account will be deleted on %(date)s. It is hidden from now on. "
                                            "To cancel, log in before then.")
                                 % {"date": timezone.localtime(pending.erase_after).strftime("%Y-%m-%d")})
                return redirect("/")
    return render(request, "accounts/delete.html", {
        "form": form, "erase_on": timezone.now() + deletion.cooling_off(), "days": deletion.cooling_off().days,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_cancel(request):
    """During the cooling-off period, the only page open: cancel the deletion, or log out."""
    pending = deletion_pending_for(request.user)
    if pending is None:
        return redirect("accounts:me")
    too_late = pending.erase_after <= timezone.now()
    if request.method == "POST":
        try:
            deletion.deletion_cancel(user=request.user)
        except deletion.DeletionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The deletion is cancelled. Welcome back."))
            return redirect("/")
    return render(request, "accounts/delete_cancel.html", {"pending": pending, "too_late": too_late})


@login_required
def notifications(request):
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("accounts:notifications")


@login_required
@require_POST
def notification_open(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.url if url_has_allowed_host_and_scheme(notification.url, {request.get_host()}) else ""
    return redirect(target or "accounts:notifications")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def handle_validation_error(form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to a form so the page shows it beside the field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
