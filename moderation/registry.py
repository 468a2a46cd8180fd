"""Kinds of review item, registered by the apps that own them (moderation imports none).

An app describes its kind once, in its AppConfig.ready():

    registry.register(DocumentReviewKind())

and the queue lists, shows and decides items of every kind through that description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

    def context(self, *, item: ReviewItem, obj: Any, reviewer) -> dict:
        """Extra template context for the item page."""
        return {}

    def options(self, *, item: ReviewItem, obj: Any, reviewer) -> tuple[DecisionOption, ...]:
        """The decisions open to this reviewer now (default: all of them, filtered by group)."""
        return tuple(d for d in self.decisions if not d.groups or _in_groups(reviewer, d.groups))

    def decide(self, *, item: ReviewItem, obj: Any, reviewer, decision: str, reason_code: str, note: str) -> None:
        """Apply the decision to `obj`; runs inside the queue's transaction with the item locked."""
        raise NotImplementedError


def _in_groups(user, groups) -> bool:
    return user.is_superuser or user.groups.filter(name__in=groups).exists()


_kinds: dict[str, ReviewKind] = {}
_conflict_checks: list[Callable[[Any, Any], bool]] = []


def register(kind: ReviewKind) -> None:
    _kinds[kind.key] = kind


def get(key: str) -> ReviewKind:
    return _kinds[key]


def kinds() -> dict[str, ReviewKind]:
    return dict(_kinds)


def register_conflict_check(check: Callable[[Any, Any], bool]) -> None:
    """Add a test `check(reviewer, subject) -> True` when the reviewer may not judge the subject.

    social registers "they are friends" here, so moderation needs no import of social.
    """
    _conflict_checks.append(check)


def has_conflict(reviewer, subject) -> bool:
    if subject is None:
        return False
    if reviewer.pk == subject.pk:
        return True
    return any(check(reviewer, subject) for check in _conflict_checks)


def may_review(user, kind: ReviewKind) -> bool:
    return user.is_authenticated and user.is_active and _in_groups(user, kind.groups)
