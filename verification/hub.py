"""The hub (/verify/): the user's level, what each level unlocks, and where each way up stands."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.models import Level

from .documents import selectors as document_selectors
from .vouching import selectors as vouch_selectors


@login_required
@require_safe
def hub(request):
    """The user's level, what each level unlocks, the ways up and the state of their document and vouch cases."""
    return render(request, "verification/hub.html", {
        "levels": Level,
        "submission": document_selectors.submission_latest_for(request.user),
        "vouch_case": vouch_selectors.vouch_case_latest_for(request.user),
        "vouch_requests_waiting": vouch_selectors.vouch_requests_pending_count(request.user),
    })
