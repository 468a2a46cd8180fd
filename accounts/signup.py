"""allauth's signup form, doing the same work for a registered and a new email.

allauth (ACCOUNT_PREVENT_ENUMERATION, on by default) already answers a signup with a registered
email with the same "verify your email" page as a new one, and mails the owner an "account already
exists" notice instead of a confirmation. What still differed was the time: a new account hashes its
password (hundreds of milliseconds with a real hasher), a registered email did not. Here the registered
path hashes the typed password too (and throws the hash away), and both paths hand their one mail to
the same Celery task after commit (accounts.adapter), so the answer takes as long either way.

This module is separate from accounts.forms because allauth's SignupForm is built on
ACCOUNT_SIGNUP_FORM_CLASS (accounts.forms.SignupExtraForm): importing it there would be circular.
"""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        if self.account_already_exists:
            # The work a new account does in set_password(), so the answer's timing tells nothing.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
