"""Thin views: fetch with a permission check (404 otherwise), call one service, redirect or render."""

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import policy
from accounts.policy import Action
from accounts.staff import staff_mfa_required
from accounts.views import handle_validation_error
from core.watermark import watermark, watermark_text
from moderation import audit
from moderation.services import review_item_touch

from . import selectors, services
from .forms import DocumentKindChoiceForm, DocumentSubmissionForm
from .models import DocumentSubmission


def _document_page(request, context: dict, status: int = 200):
    return render(request, "verification/document.html",
                  {"purge_days": settings.DOCUMENT_PURGE_DAYS, **context}, status=status)


@login_required
def document(request):
    """Choose a kind of document, then type the name and number and upload one image per side."""
    decision = policy.check(request.user, Action.START_VERIFICATION)
    if not decision:
        return _document_page(request, {"decision": decision})
    refusal = services.submission_refusal(user=request.user)
    if refusal:
        return _document_page(request, {"refusal": refusal, "open": selectors.submission_open_for(request.user)})
    source = request.POST if request.method == "POST" else request.GET
    kind = selectors.kind_active_by_code(source.get("kind"))
    if kind is None:
        return _document_page(request, {"kind_form": DocumentKindChoiceForm()})
    if request.method != "POST":
        return _document_page(request, {"kind": kind, "form": DocumentSubmissionForm(kind=kind)})

    # Counted before the images are decoded: decoding is the expensive part a flood would aim at.
    if not ratelimit.consume(request, action="document_submit", user=request.user):
        typed = {name: request.POST.get(name, "") for name in ("real_name", "document_number")}
        return _document_page(request, {
            "kind": kind, "form": DocumentSubmissionForm(kind=kind, initial=typed),
            "error": _("Too many uploads from your network. Please wait a while before trying again."),
        }, status=429)
    form = DocumentSubmissionForm(request.POST, request.FILES, kind=kind)
    if form.is_valid():
        try:
            services.submission_create(user=request.user, kind=kind, real_name=form.cleaned_data["real_name"],
                                       document_number=form.cleaned_data["document_number"], uploads=form.uploads)
        except policy.PolicyDenied as exc:
            form.add_error(None, exc.decision.reason)
        except ValidationError as exc:
            handle_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your document was received and will be reviewed soon."))
            return redirect("verification:hub")
    return _document_page(request, {"kind": kind, "form": form})


@login_required
@require_POST
def withdraw(request, pk: int):
    """The owner takes back a submission waiting for review."""
    submission = get_object_or_404(DocumentSubmission, pk=pk, user=request.user)
    try:
        services.submission_withdraw(submission=submission, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your document was withdrawn and its images deleted."))
    return redirect("verification:hub")


def _private_response(content, content_type: str) -> HttpResponse:
    response = (FileResponse(content, content_type=content_type) if hasattr(content, "read")
                else HttpResponse(content, content_type=content_type))
    # Identity documents: no cache anywhere may keep a copy, and the browser must not guess the type.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_safe
def thumb(request, pk: int, side: int):
    """A thumbnail of the owner's own submission while it waits for review; 404 for anyone else."""
    image = selectors.image_for_owner(user=request.user, submission_pk=pk, side=side)
    if image is None:
        raise Http404
    try:
        handle = image.thumbnail.storage.open(image.thumbnail.name, "rb")
    except FileNotFoundError:
        raise Http404
    return _private_response(handle, image.content_type)


@require_safe
@staff_mfa_required
def reviewer_image(request, pk: int, side: int):
    """The full image, watermarked for the reviewer holding the claim; every view is audited. 404 otherwise."""
    found = selectors.image_for_reviewer(reviewer=request.user, submission_pk=pk, side=side)
    if found is None:
        raise Http404
    image, item = found
    try:
        with image.image.storage.open(image.image.name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise Http404
    marked = watermark(data, text=watermark_text(viewer=request.user))
    audit.record(actor=request.user, action="document.image_view", target=image.submission,
                 data={"side": side, "item": item.pk})
    review_item_touch(item=item, reviewer=request.user)
    return _private_response(marked, image.content_type)
