"""The identity reveal pages: a form that records the reveal, then a short-lived page that shows it (PRG)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from . import reveal
from .forms import RevealForm
from .middleware import needs_staff_mfa
from .models import DocumentType, RealIdentity


def _safe_next(request) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return ""


def _require_staff(request) -> None:
    """A 404 for anyone outside the staff (the page does not exist for them); staff pages are behind MFA."""
    if not needs_staff_mfa(request.user):
        raise Http404


def _no_store(response):
    # A full identity must stay in no cache, and the page in no history a back button restores.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def identity_reveal(request, pk: int):
    """Ask for the ground and the reason; a valid POST records the reveal and redirects to its result page."""
    _require_staff(request)
    if not reveal.may_reveal(request.user):
        return render(request, "accounts/reveal_denied.html", status=403)
    identity = get_object_or_404(RealIdentity.objects.select_related("user"), pk=pk)
    nxt = _safe_next(request)
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = reveal.identity_reveal(identity=identity, actor=request.user,
                                          reason_code=form.cleaned_data["reason_code"],
                                          reason_text=form.cleaned_data["reason_text"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied:
            return render(request, "accounts/reveal_denied.html", status=403)
        else:
            messages.info(request, _("This reveal has been recorded with your name, the time and your reason."))
            url = reverse("accounts:identity_revealed", kwargs={"pk": done.pk})
            return redirect(f"{url}?{urlencode({'next': nxt})}" if nxt else url)
    return _no_store(render(request, "accounts/reveal_form.html", {
        "identity": identity, "form": form, "next": nxt, "minutes": settings.IDENTITY_REVEAL_MINUTES,
    }, status=400 if form.errors else 200))


@login_required
@require_safe
def identity_revealed(request, pk: int):
    """The full identity of one recorded reveal, to the staff member who made it, for a few minutes; 404 otherwise."""
    _require_staff(request)
    found = reveal.reveal_for(pk=pk, viewer=request.user)
    if found is None:
        raise Http404
    return _no_store(render(request, "accounts/reveal_result.html", {
        "reveal": found, "identity": found.identity, "until": found.revealed_at + reveal.reveal_window(),
        "document_type": dict(DocumentType.choices).get(found.identity.document_type, found.identity.document_type),
        "next": _safe_next(request),
    }))
