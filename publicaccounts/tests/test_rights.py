"""The publishing matrix (DOMAIN.md §3), cell by cell, and the services that enforce it."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Level
from accounts.policy import PolicyDenied
from publicaccounts.models import AccountStatus, Article, ArticleCategory, LicenceType, Origin, QualificationStatus
from publicaccounts.rights import may_publish_political_news, publishing_decision, publishing_options

from .factories import REPRODUCTION_SOURCE, make_account, make_qualification, publish

pytestmark = pytest.mark.django_db

ORIGINAL_NEWS = (ArticleCategory.POLITICAL_NEWS, Origin.ORIGINAL)
REPRODUCED_NEWS = (ArticleCategory.POLITICAL_NEWS, Origin.REPRODUCED)
OTHER = (ArticleCategory.OTHER, "")

TODAY = timezone.localdate


def _holding(kind: str):
    """(licence type, status, valid_from offset, valid_until offset) of the qualification an account holds."""
    return {
        "original": (LicenceType.ORIGINAL, QualificationStatus.APPROVED, -10, 100),
        "reproduction": (LicenceType.REPRODUCTION, QualificationStatus.APPROVED, -10, 100),
        "platform": (LicenceType.PLATFORM, QualificationStatus.APPROVED, -10, 100),
        "original, lapsed yesterday": (LicenceType.ORIGINAL, QualificationStatus.APPROVED, -400, -1),
        "reproduction, lapsed yesterday": (LicenceType.REPRODUCTION, QualificationStatus.APPROVED, -400, -1),
        "original, revoked": (LicenceType.ORIGINAL, QualificationStatus.REVOKED, -10, 100),
        "reproduction, revoked": (LicenceType.REPRODUCTION, QualificationStatus.REVOKED, -10, 100),
        "original, not yet valid": (LicenceType.ORIGINAL, QualificationStatus.APPROVED, 1, 100),
        "reproduction, not yet valid": (LicenceType.REPRODUCTION, QualificationStatus.APPROVED, 1, 100),
        "original, pending review": (LicenceType.ORIGINAL, QualificationStatus.PENDING, -10, 100),
        "original, rejected": (LicenceType.ORIGINAL, QualificationStatus.REJECTED, -10, 100),
        "original, ends today": (LicenceType.ORIGINAL, QualificationStatus.APPROVED, -10, 0),
        "original, starts today": (LicenceType.ORIGINAL, QualificationStatus.APPROVED, 0, 100),
    }.get(kind)


# (what the account holds, content) -> may it publish? Every cell of the matrix, plus the edges.
MATRIX = [
    ("original", ORIGINAL_NEWS, True), ("original", REPRODUCED_NEWS, True), ("original", OTHER, True),
    ("reproduction", ORIGINAL_NEWS, False), ("reproduction", REPRODUCED_NEWS, True), ("reproduction", OTHER, True),
    # A dissemination platform passes on what news units published: like reproduction, never original.
    ("platform", ORIGINAL_NEWS, False), ("platform", REPRODUCED_NEWS, True), ("platform", OTHER, True),
    ("none", ORIGINAL_NEWS, False), ("none", REPRODUCED_NEWS, False), ("none", OTHER, True),
    ("original, lapsed yesterday", ORIGINAL_NEWS, False), ("original, lapsed yesterday", REPRODUCED_NEWS, False),
    ("original, lapsed yesterday", OTHER, True),
    ("reproduction, lapsed yesterday", REPRODUCED_NEWS, False), ("reproduction, lapsed yesterday", OTHER, True),
    ("original, revoked", ORIGINAL_NEWS, False), ("original, revoked", REPRODUCED_NEWS, False),
    ("original, revoked", OTHER, True),
    ("reproduction, revoked", REPRODUCED_NEWS, False), ("reproduction, revoked", OTHER, True),
    ("original, not yet valid", ORIGINAL_NEWS, False), ("original, not yet valid", REPRODUCED_NEWS, False),
    ("original, not yet valid", OTHER, True),
    ("reproduction, not yet valid", REPRODUCED_NEWS, False),
    ("original, pending review", ORIGINAL_NEWS, False), ("original, pending review", REPRODUCED_NEWS, False),
    ("original, rejected", ORIGINAL_NEWS, False), ("original, rejected", REPRODUCED_NEWS, False),
    # Both ends of the validity are inclusive days.
    ("original, ends today", ORIGINAL_NEWS, True), ("original, starts today", ORIGINAL_NEWS, True),
]


def _account_holding(kind: str, status: str = AccountStatus.ACTIVE):
    account = make_account(status=status)
    holding = _holding(kind)
    if holding is not None:
        licence_type, q_status, start, end = holding
        today = TODAY()
        make_qualification(account, licence_type=licence_type, status=q_status,
                           valid_from=today + timedelta(days=start), valid_until=today + timedelta(days=end))
    return account


@pytest.mark.parametrize(("holding", "content", "allowed"), MATRIX,
                         ids=[f"{h}|{c[0]}:{c[1] or '-'}" for h, c, _a in MATRIX])
def test_publishing_matrix(holding, content, allowed):
    account = _account_holding(holding)
    category, origin = content
    decision = publishing_decision(account=account, category=category, origin=origin)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason
    # The form's view of the matrix agrees with the single decision.
    assert publishing_options(account=account)[(category, origin)].allowed is allowed


@pytest.mark.parametrize("status", [AccountStatus.PENDING_REVIEW, AccountStatus.REJECTED, AccountStatus.SUSPENDED,
                                    AccountStatus.CLOSED])
@pytest.mark.parametrize("content", [ORIGINAL_NEWS, REPRODUCED_NEWS, OTHER])
def test_only_active_accounts_publish_anything(status, content):
    account = _account_holding("original", status=status)
    decision = publishing_decision(account=account, category=content[0], origin=content[1])
    assert not decision.allowed
    assert decision.reason
    assert not may_publish_political_news(account=account)


def test_a_qualification_lapses_by_itself_after_its_last_day():
    account = _account_holding("reproduction")
    qualification = account.qualifications.get()
    last_day = qualification.valid_until
    tz = timezone.get_current_timezone()
    late_on_last_day = timezone.make_aware(datetime.combine(last_day, time(23, 59)), tz)
    first_minute_after = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time(0, 0)), tz)
    category, origin = REPRODUCED_NEWS
    assert publishing_decision(account=account, category=category, origin=origin, now=late_on_last_day)
    assert not publishing_decision(account=account, category=category, origin=origin, now=first_minute_after)
    assert may_publish_political_news(account=account, now=late_on_last_day)
    assert not may_publish_political_news(account=account, now=first_minute_after)


def test_political_news_needs_an_origin():
    account = _account_holding("original")
    assert not publishing_decision(account=account, category=ArticleCategory.POLITICAL_NEWS, origin="")
    assert not publishing_decision(account=account, category="gossip", origin="")


def test_the_operator_must_still_be_allowed_to_publish():
    account = _account_holding("original")
    account.owner.level = Level.INDIRECT
    account.owner.save(update_fields=["level"])
    assert not publishing_decision(account=account, category=ArticleCategory.OTHER)


def test_refusals_for_missing_rights_link_to_the_application():
    account = _account_holding("reproduction")
    decision = publishing_decision(account=account, category=ORIGINAL_NEWS[0], origin=ORIGINAL_NEWS[1])
    assert "original-publishing licence" in decision.reason
    assert decision.unlock_url == f"/p/{account.handle}/qualifications/new/"


# --- The services enforce it: no view, form or script gets around it ---------------

def test_the_article_service_refuses_what_the_policy_refuses():
    account = _account_holding("reproduction")
    with pytest.raises(PolicyDenied):
        publish(account, category=ArticleCategory.POLITICAL_NEWS, origin=Origin.ORIGINAL)
    assert not Article.objects.exists()
    article = publish(account, category=ArticleCategory.POLITICAL_NEWS, origin=Origin.REPRODUCED,
                      **REPRODUCTION_SOURCE)
    assert article.source_unit == "Xinhua News Agency"


def test_an_edit_cannot_turn_an_article_into_what_the_account_may_not_publish():
    from publicaccounts.articles import article_update, clean_article

    account = _account_holding("none")
    article = publish(account)
    data = clean_article(title="Now news", body="x", category=ArticleCategory.POLITICAL_NEWS,
                         origin=Origin.REPRODUCED, **REPRODUCTION_SOURCE)
    with pytest.raises(PolicyDenied):
        article_update(article=article, actor=account.owner, data=data)
    article.refresh_from_db()
    assert article.category == ArticleCategory.OTHER


def test_a_pending_account_cannot_publish_through_the_service():
    account = _account_holding("none", status=AccountStatus.PENDING_REVIEW)
    with pytest.raises(PolicyDenied):
        publish(account)


def test_only_the_owner_publishes():
    from django.core.exceptions import PermissionDenied

    from accounts.tests.factories import Level2UserFactory
    from publicaccounts.articles import article_create, clean_article

    account = _account_holding("original")
    with pytest.raises(PermissionDenied):
        article_create(account=account, actor=Level2UserFactory(),
                       data=clean_article(title="t", body="b", category=ArticleCategory.OTHER))


@pytest.mark.parametrize(("rung", "allowed"), [(10, True), (20, False), (30, False), (40, False)])
def test_penalties_on_the_public_account_take_publishing_away(rung, allowed):
    from django.contrib.contenttypes.models import ContentType

    from moderation.models import Penalty

    account = _account_holding("original")
    Penalty.objects.create(content_type=ContentType.objects.get_for_model(account), object_id=account.pk,
                           owner=account.owner, action=rung, rule="community", reason="Spam.",
                           ends_at=timezone.now() + timedelta(days=3))
    decision = publishing_decision(account=account, category=ArticleCategory.OTHER)
    assert decision.allowed is allowed
    if not allowed:
        assert "public account" in decision.reason
