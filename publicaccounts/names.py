"""Account names: the folded key that makes look-alike names equal, and the reserved terms they may not use freely."""

import unicodedata
from dataclasses import dataclass

from .models import ReservedTerm, ReservedTermKind


def name_key(name: str) -> str:
    """casefold(NFKC(name)) without any whitespace: the form names are compared and matched in."""
    # NFKC first: fullwidth "ＡＢＣ" becomes "ABC" (and ligatures, circled digits... their plain forms),
    # then casefold (stronger than lower: "ß" == "ss"); spaces of any width are dropped last.
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in folded if not ch.isspace())


def normalise_display_name(name: str) -> str:
    """The name as shown: outer spaces trimmed, inner runs of spaces collapsed to one."""
    return " ".join((name or "").split())


@dataclass(frozen=True)
class TermMatch:
    term: str
    kind: str


def reserved_matches(name: str) -> list[TermMatch]:
    """The reserved terms (in their folded form) that the folded `name` contains, impersonation first."""
    key = name_key(name)
    if not key:
        return []
    matches = []
    for term, kind in ReservedTerm.objects.values_list("term", "kind"):
        folded = name_key(term)
        if folded and folded in key:
            matches.append(TermMatch(term=term, kind=kind))
    order = {ReservedTermKind.IMPERSONATION: 0, ReservedTermKind.NEWS: 1}
    return sorted(matches, key=lambda m: (order.get(m.kind, 2), m.term))
