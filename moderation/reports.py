"""Reports: users flag a target; reports on one target merge into one queue case; reporters hear the outcome."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.notifications import notify
from accounts.policy import Action

from . import services, targets
from .models import CaseOutcome, Report, ReportCase, ReportCategory, ReviewItem

REPORT_KIND = "report"
# The report kind's "no violation" decision (the others are rungs of the ladder).
DISMISS = "dismiss"
REPORT_TEXT_MAX_CHARS = 1000


class ReportError(Exception):
    """A report refused for a reason the reporter can understand; the message is safe to show."""


def reports_per_day() -> int:
    return getattr(settings, "REPORTS_PER_DAY", 20)


def reports_today(user) -> int:
    """How many reports the user sent in the last 24 hours (counted in the database, so every process agrees)."""
    return Report.objects.filter(reporter=user, created_at__gt=timezone.now() - timedelta(days=1)).count()


def _summary(case: ReportCase, label: str) -> str:
    return (_("%(label)s · %(n)d reports") % {"label": label, "n": case.report_count} if case.report_count != 1
            else _("%(label)s · 1 report") % {"label": label})


def report_create(*, reporter: User, target_key: str, obj, category: str, text: str = "") -> Report:
    """Report `obj`; a second report by the same person on an open case returns the first one.

    Asks: accounts.policy restrictions; moderation.targets — the target type's `visible_to`, `owner`, `snapshot`.
    """
    policy.require(reporter, Action.REPORT)
    target = targets.get(target_key)
    if category not in ReportCategory.values:
        raise ReportError(_("Choose what is wrong."))
    text = (text or "").strip()
    if len(text) > REPORT_TEXT_MAX_CHARS:
        raise ReportError(_("Please keep it under %(n)d characters.") % {"n": REPORT_TEXT_MAX_CHARS})
    owner = target.owner(obj)
    if owner is not None and owner.pk == reporter.pk:
        raise ReportError(_("You cannot report your own content."))
    with transaction.atomic():
        # One reporter at a time: the daily count and the insert cannot be raced by parallel clicks.
        User.objects.select_for_update().filter(pk=reporter.pk).first()
        with translation.override(settings.LANGUAGE_CODE):
            summary = str(target.label)
        item = services.review_item_open(kind=REPORT_KIND, target=obj, subject=owner, summary=summary)
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        # The snapshot is taken once, at the first report: the case survives the author deleting the content.
        case, _created = ReportCase.objects.get_or_create(
            item=item, defaults={"target_key": target.key, "owner": owner, "snapshot": targets.safe_snapshot(target, obj)})
        existing = Report.objects.filter(case=case, reporter=reporter).first()
        if existing is not None:
            return existing
        if reports_today(reporter) >= reports_per_day():
            raise ReportError(_("You have sent the most reports allowed in one day (%(n)d). Please try again tomorrow.")
                              % {"n": reports_per_day()})
        try:
            with transaction.atomic():
                report = Report.objects.create(reporter=reporter, case=case, category=category, text=text)
        except IntegrityError:  # a parallel double submit on a backend without row locks
            return Report.objects.get(case=case, reporter=reporter)
        case.report_count += 1
        case.save(update_fields=["report_count"])
        with translation.override(settings.LANGUAGE_CODE):
            item.summary = _summary(case, summary)[:200]
        item.save(update_fields=["summary"])
    return report


def reporters_tell_outcome(*, case: ReportCase) -> int:
    """Tell each reporter of the case whether action was taken; returns how many were told."""
    reporters = User.objects.filter(reports_made__case=case).distinct()
    action = case.outcome == CaseOutcome.ACTION
    count = 0
    for reporter in reporters:
        with translation.override(reporter.language or settings.LANGUAGE_CODE):
            if action:
                title = _("Your report: action taken")
                body = _("Thank you. A moderator reviewed what you reported and took action under the community rules.")
            else:
                title = _("Your report: no violation found")
                body = _("Thank you. A moderator reviewed what you reported and found that it does not break the rules.")
            notify(user=reporter, kind="report.outcome", title=title, body=body, url="", email=False)
        count += 1
    return count


def report_cases_dismiss(*, items, actor, note: str = "") -> tuple[int, list[str]]:
    """Dismiss open report cases in bulk through the queue (claim, then decide), so every check and audit applies."""
    done, errors = 0, []
    for item in items:
        try:
            services.review_item_claim(item=item, reviewer=actor)
            services.review_item_decide(item=item, reviewer=actor, decision=DISMISS, note=note)
        except services.QueueError as exc:
            errors.append(f"#{item.pk}: {exc}")
        else:
            done += 1
    return done, errors
