"""Kinds of review item, registered by the apps that own them (moderation imports none).

An app describes its kind once, in its AppConfig.ready():

    registry.register(DocumentReviewKind())

and the queue lists, shows and decides items of every kind through that description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from core import wiring

if TYPE_CHECKING:  # pragma: no cover
    from .models import ReviewItem


@dataclass(frozen=True)
class DecisionOption:
    """One button in the decision form: a code, its label, and the reasons it may carry."""

    code: str
    label: Any
    # (code, label) pairs; when given, one must be chosen.
    reasons: tuple[tuple[str, Any], ...] = ()
    note_required: bool = False
    # The error shown when a required note is missing (default: "Write a note for this decision.").
    note_required_message: Any = ""
    # Only members of these groups may take this decision (e.g. closing needs "senior moderator").
    groups: tuple[str, ...] = ()


@dataclass
class ReviewKind:
    """Base class for a kind of review item; subclasses override the hooks they need."""

    key: str = ""
    label: Any = ""
    # Members of these groups (or superusers) may see and decide items of this kind.
    groups: tuple[str, ...] = ("moderator",)
    # Template for the item's body on the review page; receives item, obj and context().
    template: str = "moderation/kinds/default.html"
    decisions: tuple[DecisionOption, ...] = field(default_factory=tuple)
    # The note's label and help on the decision form when the kind gives it a meaning (the reason the user reads).
    note_label: Any = ""
    note_help: Any = ""
    # True when the body shows a real identity (name, document number): in full only to the claim holder,
    # and every page showing it in full is recorded as "identity.unmask".
    shows_identity: bool = False

    def context(self, *, item: ReviewItem, obj: Any, reviewer) -> dict:
        """Extra template context for the item page."""
        return {}

    def options(self, *, item: ReviewItem, obj: Any, reviewer) -> tuple[DecisionOption, ...]:
        """The decisions open to this reviewer now (default: all of them, filtered by group)."""
        return tuple(d for d in self.decisions if not d.groups or _in_groups(reviewer, d.groups))

    def decide(self, *, item: ReviewItem, obj: Any, reviewer, decision: str, reason_code: str, note: str) -> None:
        """Apply the decision to `obj`; runs inside the queue's transaction with the item locked."""
        raise NotImplementedError

    def extra_fields(self, *, item: ReviewItem, obj: Any, reviewer) -> dict:
        """Form fields beyond decision, reason and note (a rule, a duration); their values reach decide_with()."""
        return {}

    def clean_extra(self, *, item: ReviewItem, obj: Any, reviewer, decision: str, extra: dict) -> dict[str, str]:
        """Errors in the extra values for this decision as {field: message}; asked by the form and again by the queue."""
        return {}

    def initial(self, *, item: ReviewItem, obj: Any, reviewer) -> dict:
        """Initial values of the decision form (a suggested decision)."""
        return {}

    def conflict(self, *, item: ReviewItem, reviewer) -> str:
        """Why this reviewer may not judge this item for a reason of the kind (an appeal of their own action); "" if none."""
        return ""

    def decide_with(self, *, item: ReviewItem, obj: Any, reviewer, decision: str, reason_code: str, note: str,
                    extra: dict) -> None:
        """decide() with the extra fields' values; kinds that declare extra fields override this instead."""
        self.decide(item=item, obj=obj, reviewer=reviewer, decision=decision, reason_code=reason_code, note=note)

    def confirmation(self, *, item: ReviewItem, obj: Any, reviewer, decision: str, note: str,
                     extra: dict) -> dict | None:
        """Context for a confirmation page before an irreversible decision (a closure); None to decide at once."""
        return None

    def flag_text(self, flag: dict) -> Any:
        """The text shown for one flag; override to translate by its code (the stored text is a record)."""
        return flag.get("text", "")

    def option(self, code: str) -> DecisionOption | None:
        """The declared option with this code, if any (for labels on decided items)."""
        return next((d for d in self.decisions if d.code == code), None)

    def decision_labels(self, *, decision: str, reason_code: str = "") -> tuple[Any, Any]:
        """Human labels of a stored decision and its reason; the codes themselves when no longer declared."""
        option = self.option(decision)
        if option is None:
            return decision, reason_code
        reason = dict(option.reasons).get(reason_code, reason_code)
        return option.label, reason


def _in_groups(user, groups) -> bool:
    return user.is_superuser or user.groups.filter(name__in=groups).exists()


_kinds: dict[str, ReviewKind] = {}
_conflict_checks: list[Callable[[Any, Any], bool]] = []


def register(kind: ReviewKind) -> None:
    """Offer a kind of item to the queue; registering the same key again replaces it."""
    if not kind.key:
        raise ValueError("A review kind needs a key.")
    _kinds[kind.key] = kind


def unregister(key: str) -> None:
    """Remove a kind (for tests that register a throwaway one)."""
    _kinds.pop(key, None)


def get(key: str) -> ReviewKind:
    """The kind registered under `key`; KeyError when none is."""
    return _kinds[key]


def kinds() -> dict[str, ReviewKind]:
    """Every registered kind, in registration order."""
    return dict(_kinds)


def register_conflict_check(check: Callable[[Any, Any], bool]) -> None:
    """Add a test `check(reviewer, subject) -> True` when the reviewer may not judge the subject.

    social registers "they are friends" here, so moderation needs no import of social.
    """
    # ready() can run more than once (test runners, reloads); one check is enough.
    if check not in _conflict_checks:
        _conflict_checks.append(check)


def conflict_checks() -> list[Callable[[Any, Any], bool]]:
    """The registered conflict checks, in the order they are asked."""
    return list(_conflict_checks)


wiring.extension_point("moderation.registry review kinds", "ReviewKind: a kind of item the review queue lists and decides",
                       lambda: [f"{key} ({wiring.name_of(kind)})" for key, kind in kinds().items()])
wiring.extension_point("moderation.registry conflict checks",
                       "check(reviewer, subject) -> True when the reviewer may not judge the subject",
                       lambda: [wiring.name_of(check) for check in conflict_checks()])


def has_conflict(reviewer, subject) -> bool:
    """True when `reviewer` may not judge items about `subject` (themselves, or a registered conflict)."""
    if subject is None:
        return False
    if reviewer.pk == subject.pk:
        return True
    return any(check(reviewer, subject) for check in _conflict_checks)


def conflict_reason(item: ReviewItem, reviewer) -> str:
    """Why `reviewer` may not judge `item` now (their own, a friend's, the kind's own conflict); "" if nothing."""
    if has_conflict(reviewer, item.subject):
        return str(_("You may not review an item of your own or of a friend."))
    kind = _kinds.get(item.kind)
    return str(kind.conflict(item=item, reviewer=reviewer) or "") if kind is not None else ""


def may_see_identity(item: ReviewItem, reviewer) -> bool:
    """Whether the page may show `item`'s real identity in full to `reviewer`: a live claim and no conflict.

    A decided item is claimed by nobody, so everyone sees it masked (the reveal service shows it in full).
    """
    return item.is_claimed_by(reviewer) and not conflict_reason(item, reviewer)


def may_review(user, kind: ReviewKind) -> bool:
    """Whether `user` may see and decide items of `kind` (superuser, or member of one of its groups)."""
    return user.is_authenticated and user.is_active and _in_groups(user, kind.groups)


def reviewable_kinds(user) -> dict[str, ReviewKind]:
    """The kinds `user` may review, as may_review() decides, with one query for all of them."""
    if not (user.is_authenticated and user.is_active):
        return {}
    if user.is_superuser:
        return dict(_kinds)
    names = set(user.groups.values_list("name", flat=True))
    return {key: kind for key, kind in _kinds.items() if names.intersection(kind.groups)}
