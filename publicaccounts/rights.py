"""The one policy that decides what a public account may publish (DOMAIN.md §3, the publishing matrix).

| licence in force                 | original political news | reproduced political news | other content |
|----------------------------------|-------------------------|---------------------------|---------------|
| original publishing (news unit)  | yes                     | yes                       | yes           |
| reproduction                     | no                      | yes, crediting the source | yes           |
| dissemination platform           | no                      | yes, crediting the source | yes           |
| none (or lapsed, or revoked)     | no                      | no                        | yes           |

A dissemination-platform licence lets its holder *disseminate* news, i.e. pass on what news
units published; it does not make the holder a news unit. So for its own articles it counts
like a reproduction licence: reproduce with the source credited, never originate.

Only an active account publishes anything, only while no penalty on the account takes publishing
away (moderation.restrictions) and only while its operator may publish (accounts.policy,
Action.PUBLISH_ARTICLE: level and personal penalties). Rights are computed against `now` every time
(a qualification lapses at the end of its valid_until day with no job having to run), and the
article services call this function before every write, so no view or script can bypass it.
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action, Decision
from moderation.restrictions import STATUS_URL, public_account_check

from .models import AccountStatus, ArticleCategory, LicenceType, Origin, PublicAccount, Qualification, in_force_q

ALLOWED = Decision(allowed=True)

# Which licences allow which origin of political news: the matrix's middle columns, as data.
LICENCES_FOR_ORIGIN: dict[str, frozenset[str]] = {
    Origin.ORIGINAL: frozenset({LicenceType.ORIGINAL}),
    Origin.REPRODUCED: frozenset({LicenceType.ORIGINAL, LicenceType.REPRODUCTION, LicenceType.PLATFORM}),
}
# Any licence in force gives the account some political-news right, and so the visible mark.
NEWS_LICENCES = frozenset(LicenceType.values)


def _today(now: datetime | None):
    return timezone.localdate(now or timezone.now())


def licences_in_force(*, account: PublicAccount, now: datetime | None = None) -> frozenset[str]:
    """The licence types of the account's qualifications in force at `now` (one query)."""
    cached = getattr(account, "qualifications_in_force", None)
    if cached is not None and now is None:
        # Prefetched by a selector (selectors.with_marks) for today: no query.
        return frozenset(q.licence_type for q in cached)
    return frozenset(Qualification.objects.filter(in_force_q(_today(now)), account=account)
                     .values_list("licence_type", flat=True))


def _gate(account: PublicAccount) -> Decision | None:
    """A refusal that holds whatever the content: the account's status, then its operator's own policy."""
    if account.status != AccountStatus.ACTIVE:
        reasons = {
            AccountStatus.PENDING_REVIEW: _("This account's name is still being reviewed; it can publish once "
                                            "approved."),
            AccountStatus.REJECTED: _("This account was not approved and cannot publish."),
            AccountStatus.SUSPENDED: _("This account is suspended and cannot publish for now."),
            AccountStatus.CLOSED: _("This account is closed."),
        }
        reason = str(reasons.get(account.status, _("This account cannot publish.")))
        if account.status == AccountStatus.CLOSED and account.closed_by_penalty_id:
            # Closed by a moderator (the account's own closure or its owner's): the status page says why.
            return Decision(False, reason=reason, unlock_url=STATUS_URL, unlock_label=_("See why and how to appeal"))
        return Decision(False, reason=reason)
    # Penalties on this public account (restrict, suspend, close: moderation's enforcement ladder).
    penalty = public_account_check(account, Action.PUBLISH_ARTICLE)
    if not penalty.allowed:
        return penalty
    # The operator's level and their personal penalties (accounts.policy, where moderation registers its rules).
    operator = policy.check(account.owner, Action.PUBLISH_ARTICLE)
    return None if operator.allowed else operator


def decide_with(*, account: PublicAccount, licences: frozenset[str], category: str, origin: str = "",
                gate: Decision | None = None) -> Decision:
    """The matrix itself, given the licences in force and the gate (so a form asks about every cell at once)."""
    if gate is not None:
        return gate
    if category == ArticleCategory.OTHER:
        return ALLOWED
    if category != ArticleCategory.POLITICAL_NEWS:
        return Decision(False, reason=_("Choose what kind of content this is."))
    if origin not in LICENCES_FOR_ORIGIN:
        return Decision(False, reason=_("Say whether this news is original or reproduced from a news unit."))
    if licences & LICENCES_FOR_ORIGIN[origin]:
        return ALLOWED
    apply = {"unlock_url": reverse("publicaccounts:qualification_apply", kwargs={"handle": account.handle}),
             "unlock_label": _("Apply for a news qualification")}
    if origin == Origin.ORIGINAL:
        if licences:
            return Decision(False, reason=_("Only news units with an original-publishing licence may publish original "
                                            "political news. Your licence allows reproducing news from news units, "
                                            "crediting the source."), **apply)
        return Decision(False, reason=_("Publishing original political news needs an original-publishing licence "
                                        "in force."), **apply)
    return Decision(False, reason=_("Reproducing political news needs a news-service licence in force "
                                    "(reproduction, dissemination platform or original publishing)."), **apply)


def publishing_decision(*, account: PublicAccount, category: str, origin: str = "",
                        now: datetime | None = None) -> Decision:
    """May `account` publish an article of `category` (and, for political news, `origin`) at `now`?"""
    gate = _gate(account)
    licences = frozenset() if gate is not None or category != ArticleCategory.POLITICAL_NEWS \
        else licences_in_force(account=account, now=now)
    return decide_with(account=account, licences=licences, category=category, origin=origin, gate=gate)


def publishing_options(*, account: PublicAccount, now: datetime | None = None) -> dict[tuple[str, str], Decision]:
    """Every cell of the matrix for this account: {(category, origin): Decision}, for the article form."""
    gate = _gate(account)
    licences = frozenset() if gate is not None else licences_in_force(account=account, now=now)
    cells = [(ArticleCategory.OTHER, ""), *((ArticleCategory.POLITICAL_NEWS, o) for o in Origin.values)]
    return {(c, o): decide_with(account=account, licences=licences, category=c, origin=o, gate=gate) for c, o in cells}


def may_publish_political_news(*, account: PublicAccount, now: datetime | None = None) -> bool:
    """Whether the account carries the political-news mark now (active, with some licence in force)."""
    return account.status == AccountStatus.ACTIVE and bool(licences_in_force(account=account, now=now))
