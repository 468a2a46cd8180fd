"""Gates that run before every view: staff MFA, then a closed account, then the current agreement."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from . import policy, services
from .staff import needs_staff_mfa, staff_mfa_redirect

__all__ = ["AgreementMiddleware", "StaffMFAMiddleware", "account_gate", "needs_staff_mfa"]

# Paths a user who has not accepted the new agreement may still reach.
AGREEMENT_EXEMPT_PREFIXES = (
    "/agreement/",
    "/accounts/logout/",
    "/accounts/confirm-email/",
    "/me/delete/",
    "/i18n/",
    "/static/",
    "/media/",
    "/healthz",
)


class StaffMFAMiddleware:
    """Before any staff page: TOTP set up, and this session passed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(tuple(settings.STAFF_PATH_PREFIXES)):
            gated = staff_mfa_redirect(request)
            if gated is not None:
                return gated
        return self.get_response(request)


# Paths a user whose account may not be used (closed) may still reach: the closure notice,
# their status and appeal pages (stable URLs, ARCHITECTURE.md), and the way out.
ACCOUNT_GATE_EXEMPT_PREFIXES = (
    "/me/closed/",
    "/me/status/",
    "/me/appeals/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/media/",
    "/healthz",
)


def account_gate(request):
    """Send a user the policy refuses LOG_IN (a closed account, one waiting to be deleted) to the page its Decision names."""
    user = request.user
    if not user.is_authenticated or request.path_info.startswith(ACCOUNT_GATE_EXEMPT_PREFIXES):
        return None
    # The policy asks every registered rule (moderation's penalties), so accounts imports none of them;
    # the rules cache what they fetch on the user, so the writes of this request ask no second time.
    decision = policy.check(user, policy.Action.LOG_IN)
    if decision.allowed or not decision.unlock_url or request.path_info.startswith(decision.unlock_url):
        return None
    return redirect(decision.unlock_url)


class AgreementMiddleware:
    """Send a closed account to its notice; otherwise a logged-in user to /agreement/ until they accept it."""

    SESSION_KEY = "agreement_accepted_version"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The closed-account gate runs first and lives here (not in a middleware of its own) so
        # it needs no change to MIDDLEWARE: a closed account sees its notice, not a new agreement.
        gated = account_gate(request)
        if gated is not None:
            return gated
        user = request.user
        if user.is_authenticated and not request.path_info.startswith(AGREEMENT_EXEMPT_PREFIXES):
            current = services.agreement_current()
            if current is not None and request.session.get(self.SESSION_KEY) != current.pk:
                if services.agreement_accepted(user=user, version=current):
                    request.session[self.SESSION_KEY] = current.pk
                else:
                    return redirect(f"{reverse('accounts:agreement')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
