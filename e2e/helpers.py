"""What every browser story does: log a person in (with TOTP for staff)."""

import re
import time

from allauth.mfa.totp.internal.auth import hotp_value

from accounts.tests.factories import PASSWORD

TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def log_in(page, email, *, totp_secret: str | None = None):
    """Log in through the real form; staff also type the current TOTP code."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    if totp_secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.fill("input[name=code]", f"{hotp_value(totp_secret, int(time.time()) // 30):06d}")
        page.click("form[action='/accounts/2fa/authenticate/'] button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/" not in url)
