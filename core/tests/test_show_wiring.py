"""`manage.py show_wiring` lists every extension point and what the apps registered on it."""

from io import StringIO

from django.core.management import call_command


def _output() -> str:
    out = StringIO()
    call_command("show_wiring", stdout=out, no_color=True)
    return out.getvalue()


def _section(output: str, name: str) -> list[str]:
    """The entries listed under one extension point."""
    lines = output.splitlines()
    start = lines.index(name) + 2
    entries = []
    for line in lines[start:]:
        if not line.startswith("  - "):
            break
        entries.append(line[4:])
    return entries


def test_every_extension_point_is_listed():
    output = _output()
    for name in ("accounts.policy restrictions", "accounts.policy identity checks", "accounts.erasure erasers",
                 "accounts.audit recorder", "moderation.registry review kinds", "moderation.registry conflict checks",
                 "moderation.targets", "moderation.hooks user_closed", "moderation.hooks user_reopened",
                 "moderation.hooks penalty_applied", "moderation.hooks penalty_overturned"):
        assert name in output.splitlines(), name


def test_known_registrations_are_listed_under_their_point():
    output = _output()
    kinds = _section(output, "moderation.registry review kinds")
    assert "document (verification.documents.review.DocumentReviewKind)" in kinds
    assert "vouch (verification.vouching.review.VouchReviewKind)" in kinds
    assert "report (moderation.kinds.ReportReviewKind)" in kinds
    assert "social.erasure.erase_social_content" in _section(output, "accounts.erasure erasers")
    assert _section(output, "accounts.policy restrictions") == ["moderation.restrictions.user_rule"]
    assert _section(output, "accounts.audit recorder") == ["moderation.audit.record"]
    assert "social.selectors.are_friends" in _section(output, "moderation.registry conflict checks")
    assert "moment (social.Moment)" in _section(output, "moderation.targets")
    assert "publicaccounts.closure.accounts_close_for_user" in _section(output, "moderation.hooks user_closed")
    assert "verification.vouching.accountability.voucher_strikes_lift" in _section(
        output, "moderation.hooks penalty_overturned")

