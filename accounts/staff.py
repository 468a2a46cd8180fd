"""The one staff two-factor gate, on allauth's public API; used by the middleware and every staff view.

A staff member (is_staff, a superuser, or a member of settings.MFA_REQUIRED_GROUPS) reaches a staff page
only after setting up an authenticator app and passing it in this session. The middleware applies the
gate to settings.STAFF_PATH_PREFIXES; staff views elsewhere (document images, licence scans, marking a
vouched identity false) use `staff_mfa_required`.
"""

from functools import wraps

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _


def needs_staff_mfa(user) -> bool:
    """Staff and members of the moderation groups must use MFA."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.groups.filter(name__in=settings.MFA_REQUIRED_GROUPS).exists()


def staff_mfa_passed(request) -> bool:
    """Whether this session's user is staff and authenticated with a second factor in this session."""
    user = request.user
    if not needs_staff_mfa(user):
        return False
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def staff_mfa_redirect(request):
    """For a staff user who has not passed MFA in this session: where to go (set it up, or pass it); else None."""
    user = request.user
    if not needs_staff_mfa(user) or staff_mfa_passed(request):
        return None
    query = urlencode({"next": request.get_full_path()})
    if not is_mfa_enabled(user):
        messages.warning(request, _("Staff pages need two-factor authentication. "
                                    "Please set up an authenticator app first."))
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
    return redirect(f"{reverse('mfa_reauthenticate')}?{query}")


def staff_mfa_required(view):
    """For a staff page outside STAFF_PATH_PREFIXES: 404 for everyone who is not staff, the MFA step for staff."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not needs_staff_mfa(request.user):
            raise Http404
        response = staff_mfa_redirect(request)
        if response is not None:
            return response
        return view(request, *args, **kwargs)

    return wrapped
