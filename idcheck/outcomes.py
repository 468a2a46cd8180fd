"""What a caller of the ID check gets back: a status, what it cost, and words for the reviewer."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import IdCheckQuery, QueryResult


class Status:
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    ERROR = "error"
    BUDGET_EXHAUSTED = "budget_exhausted"
    RATE_LIMITED = "rate_limited"

    ALL = frozenset({MATCH, MISMATCH, NOT_FOUND, ERROR, BUDGET_EXHAUSTED, RATE_LIMITED})
    # The provider's verdicts: kept for ever and reused; everything else may be tried again.
    ANSWERS = frozenset({MATCH, MISMATCH, NOT_FOUND})


LABELS = {
    Status.MATCH: _("The ID service says the name matches the number."),
    Status.MISMATCH: _("The ID service says the name does not match the number."),
    Status.NOT_FOUND: _("The ID service has no record of this number."),
    Status.ERROR: _("The ID service could not answer. Nothing was kept; the check may be tried again later."),
    Status.BUDGET_EXHAUSTED: _("This month's budget for ID checks is used up, so no check was made."),
    Status.RATE_LIMITED: _("Too many ID checks were asked for from this account recently, so no check was made."),
}
EVIDENCE_NOTE = _("Supporting evidence only, not proof of identity: the reviewer still decides from the document.")


@dataclass(frozen=True)
class IdCheckOutcome:
    """The answer to one idcheck_query call: status, whether it was reused, what this call cost."""

    status: str
    cached: bool = False
    cost_fen: int = 0
    query_id: int | None = None
    checked_at: datetime | None = None
    label: str | Promise = field(default="", compare=False)
    note: str | Promise = field(default="", compare=False)

    @property
    def is_answer(self) -> bool:
        return self.status in Status.ANSWERS

    @classmethod
    def build(cls, status: str, **kwargs) -> "IdCheckOutcome":
        """An outcome with the label (and, for a verdict, the evidence note) filled in."""
        if status not in Status.ALL:
            raise ValueError(f"unknown outcome status {status!r}")
        note = EVIDENCE_NOTE if status in Status.ANSWERS else ""
        return cls(status=status, label=LABELS[status], note=note, **kwargs)

    @classmethod
    def from_query(cls, query: IdCheckQuery, *, cached: bool) -> "IdCheckOutcome":
        """The outcome a settled ledger row stands for; a reused row costs this call nothing."""
        if query.result == QueryResult.PENDING:
            raise ValueError("a pending query has no outcome yet")
        return cls.build(query.result, cached=cached, cost_fen=0 if cached else query.cost_fen, query_id=query.pk,
                         checked_at=query.completed_at or query.created_at)
