"""The two kinds of review item moderation owns: report cases and appeals."""

from collections import Counter
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from . import appeals, ladder, reports, selectors, targets
from .forms import ladder_ban, ladder_duration, ladder_errors, ladder_fields
from .models import Appeal, CaseOutcome, ReportCase, ReportCategory, Rung
from .registry import DecisionOption, ReviewKind
from .services import QueueError

DISMISS = reports.DISMISS
# Decision codes of the ladder, in the order of the ladder.
RUNG_CODES = {"warn": Rung.WARN, "restrict": Rung.RESTRICT, "suspend": Rung.SUSPEND, "close": Rung.CLOSE}
CODE_FOR_RUNG = {rung: code for code, rung in RUNG_CODES.items()}
RECENT_REPORTS = 20


def _report_options() -> tuple[DecisionOption, ...]:
    return (
        DecisionOption(DISMISS, _("No violation: dismiss the reports")),
        DecisionOption("warn", Rung.WARN.label, note_required=True),
        DecisionOption("restrict", Rung.RESTRICT.label, note_required=True),
        DecisionOption("suspend", Rung.SUSPEND.label, note_required=True),
        # Re-checked by penalty_apply(): the option list is not the only guard.
        DecisionOption("close", Rung.CLOSE.label, note_required=True, groups=(ladder.SENIOR_GROUP,)),
    )


class ReportReviewKind(ReviewKind):
    """Reported content or profiles: dismiss, or apply a rung of the ladder with the rule broken."""

    def __init__(self):
        super().__init__(
            key=reports.REPORT_KIND, label=_("Report"), groups=("moderator",), template="moderation/kinds/report.html",
            decisions=_report_options(), note_label=_("Reason (the user reads it)"),
            note_help=_("Required for an action; for a dismissal, an optional note for the audit log. "
                        "Never write a real name, a document number or a phone number here."),
        )

    @staticmethod
    def _case(item) -> ReportCase | None:
        return ReportCase.objects.select_related("owner__profile", "penalty").filter(item_id=item.pk).first()

    def _suggested(self, case: ReportCase | None) -> int:
        return selectors.suggested_rung(case.owner if case else None)

    def context(self, *, item, obj: Any, reviewer) -> dict:
        """The snapshot, count and categories, the owner's strikes of the window and the suggested rung."""
        case = self._case(item)
        if case is None:
            return {"case": None}
        counts = dict(case.reports.values_list("category").annotate(n=Count("pk")).order_by())
        labels = dict(ReportCategory.choices)
        target = targets.types().get(case.target_key)
        suggested = self._suggested(case)
        return {
            "case": case,
            "snapshot": case.snapshot,
            "categories": [{"code": code, "label": labels.get(code, code), "count": n}
                           for code, n in Counter(counts).most_common()],
            "recent_reports": list(case.reports.select_related("reporter__profile")[:RECENT_REPORTS]),
            "strikes": selectors.strike_history(case.owner),
            "window_days": selectors.strike_window().days,
            "suggested": Rung(suggested),
            "target_type": target,
            "target_exists": obj is not None,
            "target_url": target.url(obj) if target is not None and obj is not None else "",
            "has_public_subject": bool(target and target.penalty_subject and obj is not None),
        }

    def initial(self, *, item, obj, reviewer) -> dict:
        return {"decision": CODE_FOR_RUNG.get(self._suggested(self._case(item)), "warn"), "duration": "7"}

    def extra_fields(self, *, item, obj, reviewer) -> dict:
        """The ladder's fields (forms.ladder_fields, shared with the staff console) for this case."""
        target = targets.types().get(getattr(self._case(item), "target_key", ""))
        return ladder_fields(
            may_close=ladder.may_close(reviewer),
            public_subject=bool(target is not None and obj is not None and target.penalty_subject is not None),
            removable=bool(target is not None and obj is not None and target.removable),
        )

    def clean_extra(self, *, item, obj, reviewer, decision: str, extra: dict) -> dict[str, str]:
        if decision == DISMISS or decision not in RUNG_CODES:
            return {}
        return ladder_errors(rung=RUNG_CODES[decision], suggested=[self._suggested(self._case(item))], values=extra)

    def confirmation(self, *, item, obj, reviewer, decision, note, extra) -> dict | None:
        """Closing (and banning the identity) is confirmed on its own page, with the notice the owner will read."""
        if RUNG_CODES.get(decision) != Rung.CLOSE:
            return None
        case = self._case(item)
        target = targets.types().get(case.target_key) if case else None
        public_account = None
        if extra.get("apply_to") == "public_account" and target is not None and target.penalty_subject and obj:
            public_account = target.penalty_subject(obj)
        ban = ladder_ban(extra) if public_account is None else None
        preview = ladder.penalty_preview(action=Rung.CLOSE, rule=extra.get("rule"), reason=note)
        return {
            "owner": case.owner if case else None, "public_account": public_account, "ban_value": ban,
            "rule_label": preview.get_rule_display(), "removes_content": bool(extra.get("remove_content")),
            "notices": ladder.penalty_notice_translations(preview, public_account=public_account, ban=ban),
        }

    def decide_with(self, *, item, obj, reviewer, decision, reason_code, note, extra) -> None:
        """Dismiss, or apply the rung through penalty_apply(); then the reporters are told the outcome."""
        case = ReportCase.objects.select_for_update(of=("self",)).select_related("owner").get(item_id=item.pk)
        if decision == DISMISS:
            case.outcome = CaseOutcome.DISMISSED
        else:
            case.penalty = self._apply(case=case, item=item, obj=obj, reviewer=reviewer, decision=decision, note=note,
                                       extra=extra)
            case.outcome = CaseOutcome.ACTION
        case.save(update_fields=["outcome", "penalty"])
        reports.reporters_tell_outcome(case=case)

    def _apply(self, *, case, item, obj, reviewer, decision, note, extra):
        if case.owner is None:
            raise QueueError(_("The reported account no longer exists; only a dismissal is possible."))
        target = targets.types().get(case.target_key)
        public_account = None
        if extra.get("apply_to") == "public_account":
            if target is None or target.penalty_subject is None or obj is None:
                raise QueueError(_("The public account of this content can no longer be found."))
            public_account = target.penalty_subject(obj)
        rung = RUNG_CODES[decision]
        duration = ladder_duration(extra)
        ban = ladder_ban(extra)
        suggested = self._suggested(case)
        try:
            return ladder.penalty_apply(
                target_user=None if public_account is not None else case.owner, public_account=public_account,
                action=rung, rule=extra.get("rule"), reason=note, duration_days=duration, moderator=reviewer,
                remove_content=obj if extra.get("remove_content") and obj is not None else None, case=item,
                ban_days=ban if rung == Rung.CLOSE and public_account is None else None,
                extra_audit={"suggested": int(suggested), "rung_reason": (extra.get("rung_reason") or "").strip()},
            )
        except ladder.PenaltyError as exc:
            raise QueueError(str(exc)) from None


class AppealReviewKind(ReviewKind):
    """Appeals: uphold (undo the action) or deny (with a reply); never by the moderator who acted, a closure by a senior."""

    def __init__(self):
        super().__init__(
            key=appeals.APPEAL_KIND, label=_("Appeal"), groups=("moderator",), template="moderation/kinds/appeal.html",
            decisions=(DecisionOption("uphold", _("Uphold: undo the action")),
                       DecisionOption("deny", _("Deny"), note_required=True)),
            note_label=_("Reply to the user"),
            note_help=_("Required when you deny the appeal: the user reads it. Never write a real name, "
                        "a document number or a phone number here."),
        )

    @staticmethod
    def _appeal(item) -> Appeal | None:
        return (Appeal.objects.select_related("penalty__case__report_case", "penalty__moderator__profile",
                                              "appellant__profile").filter(pk=item.object_id).first())

    def conflict(self, *, item, reviewer) -> str:
        """The moderator who acted never judges; an appeal against a closure is for a senior moderator."""
        appeal = self._appeal(item)
        return str(appeals.judge_refusal(appeal.penalty, reviewer)) if appeal is not None else ""

    def options(self, *, item, obj, reviewer):
        if self.conflict(item=item, reviewer=reviewer):
            return ()
        return super().options(item=item, obj=obj, reviewer=reviewer)

    def context(self, *, item, obj, reviewer) -> dict:
        appeal = self._appeal(item)
        if appeal is None:
            return {"appeal": None}
        case = getattr(appeal.penalty.case, "report_case", None) if appeal.penalty.case_id else None
        return {"appeal": appeal, "penalty": appeal.penalty, "case": case,
                "strikes": selectors.strike_history(appeal.appellant), "window_days": selectors.strike_window().days}

    def decide(self, *, item, obj, reviewer, decision, reason_code, note) -> None:
        if obj is None:
            raise QueueError(_("This appeal no longer exists."))
        try:
            appeals.appeal_decide(appeal=obj, reviewer=reviewer, uphold=decision == "uphold", reply=note)
        except appeals.AppealError as exc:
            raise QueueError(str(exc)) from None
