"""Public accounts and articles under moderation: penalties on an account, take-downs, closures and reopening."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import policy
from accounts.tests.factories import Level2UserFactory, UserFactory
from moderation import appeals, ladder, reports, targets
from moderation.models import TIMED_RUNGS, AuditEntry, Rung
from publicaccounts import articles, qualifications, services
from publicaccounts.models import AccountStatus, Article, PublicAccount, Subscription

from .factories import in_group, make_account, processed, publish, register

pytestmark = pytest.mark.django_db

TOMBSTONE = "This content was removed for breaking the rules"
W, R, S, C = Rung.WARN, Rung.RESTRICT, Rung.SUSPEND, Rung.CLOSE
RUNG_IDS = ["warn", "restrict", "suspend", "close"]


@pytest.fixture
def judge(db):
    """A second moderator: appeals are judged by someone other than who acted."""
    return in_group(Level2UserFactory(), "moderator")


@pytest.fixture
def senior(db):
    return in_group(in_group(Level2UserFactory(), "moderator"), "senior moderator")


@pytest.fixture
def senior_judge(db):
    """A second senior moderator: only a senior moderator undoes a closure."""
    return in_group(in_group(Level2UserFactory(), "moderator"), "senior moderator")


def penalise(rung, *, moderator, user=None, account=None, days: int = 7, **kwargs):
    """penalty_apply() on a user or on one public account, with the usual arguments."""
    if rung == Rung.CLOSE and account is None:
        kwargs.setdefault("ban_days", "forever")
    return ladder.penalty_apply(target_user=user, public_account=account, action=rung, rule="community",
                                reason="Spam links", moderator=moderator,
                                duration_days=days if rung in TIMED_RUNGS else None, **kwargs)


def uphold(penalty, *, judge):
    appeal = appeals.appeal_create(penalty=penalty, appellant=penalty.owner, statement="It was not me.")
    return appeals.appeal_decide(appeal=appeal, reviewer=judge, uphold=True)


def fresh(obj):
    """Re-read: users and accounts cache their penalties for the rest of a request."""
    return type(obj).objects.get(pk=obj.pk)


def _status(account) -> str:
    return PublicAccount.objects.get(pk=account.pk).status


# --- The registered targets ------------------------------------------------------------------

def test_public_accounts_and_articles_are_registered_targets(owner):
    account = make_account(owner, name="Morning Post", introduction="Local news")
    article = publish(account, title="Cheap pills", body="Buy **now**")
    account_type, article_type = targets.get("publicaccount"), targets.get("article")
    assert targets.for_object(account) is account_type and targets.for_object(article) is article_type
    assert account_type.owner(account) == owner and article_type.owner(article) == owner
    assert account_type.penalty_subject(account) == account and article_type.penalty_subject(article) == account
    assert not account_type.removable and article_type.removable
    assert targets.safe_snapshot(account_type, account) == {"title": "Morning Post", "text": "Local news",
                                                            "label": "Public account"}
    assert targets.safe_snapshot(article_type, article) == {"title": "Cheap pills", "text": "Buy **now**",
                                                            "label": "Article"}
    assert account_type.url(account) == f"/p/{account.handle}/"
    assert article_type.url(article) == f"/p/{account.handle}/a/{article.pk}/"


def test_report_links_on_the_account_page_and_the_article_but_not_for_the_owner(client, owner):
    account = make_account(owner)
    article = publish(account)
    client.force_login(UserFactory())
    # Level 0 may read and sees the link (the report page then says what level reporting needs).
    assert f"/report/publicaccount/{account.pk}/" in client.get(f"/p/{account.handle}/").content.decode()
    assert f"/report/article/{article.pk}/" in client.get(f"/p/{account.handle}/a/{article.pk}/").content.decode()
    client.force_login(owner)
    assert "/report/" not in client.get(f"/p/{account.handle}/").content.decode()
    assert "/report/" not in client.get(f"/p/{account.handle}/a/{article.pk}/").content.decode()


def test_a_reader_reports_an_article_and_the_case_can_act_on_the_account(owner):
    account = make_account(owner)
    article = publish(account, title="Fake cure")
    reader = Level2UserFactory()
    reports.report_create(reporter=reader, target_key="article", obj=article, category="fraud")
    reports.report_create(reporter=reader, target_key="publicaccount", obj=account, category="fraud")
    assert not targets.get("publicaccount").visible_to(reader, make_account(status=AccountStatus.PENDING_REVIEW))


# --- A penalty on one public account ---------------------------------------------------------

def _create(account):
    publish(account, title="New")


def _edit(account):
    data = articles.clean_article(title="Edited", body="b", category="other")
    articles.article_update(article=Article.objects.filter(account=account).first(), actor=account.owner, data=data)


def _delete(account):
    articles.article_delete(article=Article.objects.filter(account=account).first(), actor=account.owner)


def _apply_qualification(account):
    today = timezone.localdate()
    qualifications.qualification_apply(
        account=account, actor=account.owner, licence_type="reproduction", licence_number="10120230042",
        issuing_authority="Beijing Cyberspace Administration", valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=300), scan=processed())


# (write path on the account, the rungs on the account that refuse it). An edit republishes the article,
# so it is refused wherever publishing is.
ACCOUNT_PATHS = [
    (_create, {R, S, C}),
    (_edit, {R, S, C}),
    (_delete, {S, C}),
    (_apply_qualification, {S, C}),
]


@pytest.mark.parametrize("rung", [W, R, S, C], ids=RUNG_IDS)
@pytest.mark.parametrize(("path", "refused_by"), ACCOUNT_PATHS, ids=[p.__name__.strip("_") for p, _r in ACCOUNT_PATHS])
def test_a_penalty_on_one_public_account_leaves_the_owners_other_account_alone(owner, senior, rung, path, refused_by):
    penalised, other = make_account(owner), make_account(owner)
    for account in (penalised, other):
        publish(account, title="Before")
    penalise(rung, moderator=senior, account=penalised)
    penalised, other = fresh(penalised), fresh(other)
    if rung in refused_by:
        with pytest.raises(policy.PolicyDenied) as refused:
            path(penalised)
        assert refused.value.decision.unlock_url == "/me/status/"
    else:
        path(penalised)
    path(other)  # the owner's other account is not penalised
    # The owner's personal account is not penalised either.
    assert policy.check(fresh(owner), policy.Action.POST_MOMENT)


def test_a_suspension_of_a_public_account_ends_by_itself(owner, moderator):
    account = make_account(owner)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        penalise(Rung.SUSPEND, moderator=moderator, account=account, days=3)
        with pytest.raises(policy.PolicyDenied):
            publish(fresh(account))
        traveller.shift(timedelta(days=3, minutes=1))
        publish(fresh(account))
    assert _status(account) == AccountStatus.ACTIVE  # a timed rung never touched the status


def test_the_owner_sees_why_the_account_cannot_publish(client, owner, moderator):
    account = make_account(owner)
    penalise(Rung.SUSPEND, moderator=moderator, account=account)
    client.force_login(owner)
    html = client.get(f"/p/{account.handle}/").content.decode()
    assert "This public account is suspended until" in html and 'href="/me/status/"' in html
    assert f"/p/{account.handle}/articles/new/" not in html
    html = client.get(f"/p/{account.handle}/articles/new/").content.decode()
    assert "This public account is suspended until" in html and 'href="/me/status/"' in html
    html = client.get(f"/p/{account.handle}/qualifications/new/").content.decode()
    assert "This public account is suspended until" in html


# --- Every write path under every rung on the user -------------------------------------------

def _u_create(actor, ctx):
    publish(fresh(ctx["account"]), title="New")


def _u_edit(actor, ctx):
    data = articles.clean_article(title="Edited", body="b", category="other")
    articles.article_update(article=ctx["article"], actor=actor, data=data)


def _u_delete(actor, ctx):
    articles.article_delete(article=ctx["article"], actor=actor)


def _u_register(actor, ctx):
    register(actor, name="Second Paper", handle="second-paper")


def _u_apply_qualification(actor, ctx):
    _apply_qualification(fresh(ctx["account"]))


def _u_subscribe(actor, ctx):
    services.subscription_create(user=actor, account=ctx["elsewhere"])


def _u_edit_profile(actor, ctx):
    from accounts.services import profile_update

    profile_update(user=actor, nickname="New name", bio="new bio")


# Restrict: no new articles (an edit republishes). Suspend: nothing new, nothing edited, no new account
# or qualification. Close: nothing. Subscribing is reading: only a closed account may not.
USER_PATHS = [
    (_u_create, {R, S, C}),
    (_u_edit, {R, S, C}),
    (_u_delete, {S, C}),
    (_u_register, {S, C}),
    (_u_apply_qualification, {S, C}),
    (_u_subscribe, {C}),
    (_u_edit_profile, {S, C}),
]


@pytest.mark.parametrize("rung", [W, R, S, C], ids=RUNG_IDS)
@pytest.mark.parametrize(("path", "refused_by"), USER_PATHS, ids=[p.__name__.strip("_") for p, _r in USER_PATHS])
def test_every_public_account_write_path_under_every_rung_on_the_owner(owner, senior, settings, rung, path,
                                                                       refused_by):
    settings.PUBLIC_ACCOUNTS_PER_IDENTITY = 5
    account = make_account(owner)
    ctx = {"account": account, "article": publish(account), "elsewhere": make_account()}
    penalise(rung, moderator=senior, user=owner)
    actor = fresh(owner)
    if rung in refused_by:
        with pytest.raises(policy.PolicyDenied) as refused:
            path(actor, ctx)
        assert refused.value.decision.unlock_url in ("/me/status/", "/me/closed/")
    else:
        path(actor, ctx)


# --- Articles taken down -------------------------------------------------------------------

def test_a_removed_article_is_a_tombstone_on_its_page_and_in_lists(client, owner, moderator):
    account = make_account(owner)
    article = publish(account, title="Miracle cure", body="Drink bleach")
    reader = UserFactory()
    Subscription.objects.create(user=reader, account=account)
    penalise(Rung.WARN, moderator=moderator, user=owner, remove_content=article)

    client.force_login(reader)
    for url in (f"/p/{account.handle}/a/{article.pk}/", f"/p/{account.handle}/", "/publicaccounts/feed/"):
        html = client.get(url).content.decode()
        assert TOMBSTONE in html and "Miracle cure" not in html and "Drink bleach" not in html, url
    assert f"/report/article/{article.pk}/" not in client.get(f"/p/{account.handle}/a/{article.pk}/").content.decode()

    client.force_login(owner)
    html = client.get(f"/p/{account.handle}/a/{article.pk}/").content.decode()
    assert TOMBSTONE in html and 'href="/me/status/"' in html
    assert f"/p/{account.handle}/a/{article.pk}/edit/" not in html
    html = client.get(f"/p/{account.handle}/a/{article.pk}/edit/").content.decode()
    assert "A moderator removed this article" in html and 'href="/me/status/"' in html
    with pytest.raises(policy.PolicyDenied):
        articles.article_update(article=article, actor=owner,
                                data=articles.clean_article(title="Clean now", body="b", category="other"))


def test_an_upheld_appeal_restores_the_article_exactly_and_only_it(client, owner, moderator, judge):
    account = make_account(owner)
    first = publish(account, title="First breach")
    second = publish(account, title="Second breach")
    before = Article.objects.values().get(pk=first.pk)
    penalty = penalise(Rung.WARN, moderator=moderator, user=owner, remove_content=first)
    penalise(Rung.WARN, moderator=moderator, account=account, remove_content=second)
    uphold(penalty, judge=judge)
    assert Article.objects.values().get(pk=first.pk) == before
    assert Article.objects.get(pk=second.pk).removed_at is not None
    html = client.get(f"/p/{account.handle}/").content.decode()
    assert "First breach" in html and "Second breach" not in html


def test_removed_articles_and_closed_owners_cost_no_extra_query(client, owner, moderator, senior):
    reader = UserFactory()
    accounts = [make_account(owner), make_account()]
    for account in accounts:
        Subscription.objects.create(user=reader, account=account)
        publish(account)
    client.force_login(reader)
    client.get("/publicaccounts/feed/")
    with CaptureQueriesContext(connection) as small:
        client.get("/publicaccounts/feed/")
    for i in range(6):
        article = publish(accounts[i % 2])
        if i % 2:
            penalise(Rung.WARN, moderator=moderator, user=article.account.owner, remove_content=article)
    penalise(Rung.CLOSE, moderator=senior, user=owner)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/publicaccounts/feed/").content.decode()
    assert TOMBSTONE in html
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


# --- Closures --------------------------------------------------------------------------------

def test_closing_the_owner_closes_their_live_public_accounts_and_reopening_restores_only_those(client, owner, senior,
                                                                                               senior_judge):
    active, suspended = make_account(owner), make_account(owner, status=AccountStatus.SUSPENDED)
    pending = make_account(owner, status=AccountStatus.PENDING_REVIEW)
    closed_alone = make_account(owner)
    article = publish(active, title="Still here")
    own_closure = penalise(Rung.CLOSE, moderator=senior, account=closed_alone)
    assert _status(closed_alone) == AccountStatus.CLOSED

    closure = penalise(Rung.CLOSE, moderator=senior, user=owner)
    assert [_status(a) for a in (active, suspended, pending, closed_alone)] == [
        AccountStatus.CLOSED, AccountStatus.CLOSED, AccountStatus.PENDING_REVIEW, AccountStatus.CLOSED]
    assert PublicAccount.objects.filter(closed_by_penalty=closure).count() == 2
    assert AuditEntry.objects.filter(action="publicaccount.close").count() == 3
    client.force_login(Level2UserFactory())
    assert client.get(f"/p/{active.handle}/").status_code == 404
    assert client.get(f"/p/{active.handle}/a/{article.pk}/").status_code == 404
    assert client.get(f"/report/publicaccount/{active.pk}/").status_code == 404
    with pytest.raises(policy.PolicyDenied):
        publish(fresh(active))

    uphold(closure, judge=senior_judge)
    # Each account as it was; the one closed by its own penalty stays closed.
    assert [_status(a) for a in (active, suspended, pending, closed_alone)] == [
        AccountStatus.ACTIVE, AccountStatus.SUSPENDED, AccountStatus.PENDING_REVIEW, AccountStatus.CLOSED]
    page = client.get(f"/p/{active.handle}/a/{article.pk}/")
    assert page.status_code == 200 and "Still here" in page.content.decode()
    assert client.get(f"/p/{closed_alone.handle}/").status_code == 404
    publish(fresh(active))
    reopened = PublicAccount.objects.get(pk=active.pk)
    assert reopened.closed_by_penalty is None and reopened.status_before_closure == ""

    uphold(own_closure, judge=senior_judge)
    assert _status(closed_alone) == AccountStatus.ACTIVE


def test_an_account_held_by_two_closures_reopens_only_when_both_are_overturned(owner, senior, senior_judge):
    account = make_account(owner)
    by_owner = penalise(Rung.CLOSE, moderator=senior, user=owner)
    by_account = penalise(Rung.CLOSE, moderator=senior, account=account)
    ladder.penalty_overturn(penalty=by_owner, actor=senior_judge)
    stored = PublicAccount.objects.get(pk=account.pk)
    assert stored.status == AccountStatus.CLOSED and stored.closed_by_penalty == by_account
    ladder.penalty_overturn(penalty=by_account, actor=senior_judge)
    assert _status(account) == AccountStatus.ACTIVE


def test_the_closed_account_page_is_a_404_for_others_and_the_owner_sees_why(client, owner, senior):
    account = make_account(owner)
    penalise(Rung.CLOSE, moderator=senior, account=account)
    client.force_login(Level2UserFactory())
    assert client.get(f"/p/{account.handle}/").status_code == 404
    client.force_login(owner)
    html = client.get(f"/p/{account.handle}/").content.decode()
    assert "This account is closed." in html and 'href="/me/status/"' in html
    with pytest.raises(policy.PolicyDenied) as refused:
        publish(fresh(account))
    assert refused.value.decision.unlock_url == "/me/status/"


def test_the_state_machine_still_refuses_undeclared_edges(owner):
    from publicaccounts.models import InvalidTransition

    account = make_account(owner, status=AccountStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        account.transition(to=AccountStatus.PENDING_REVIEW)
    account = make_account(owner, status=AccountStatus.REJECTED)
    with pytest.raises(InvalidTransition):
        account.transition(to=AccountStatus.CLOSED)


def test_the_staff_console_shows_closures_and_take_downs(client, owner, senior):
    from conftest import mfa_login

    account = make_account(owner)
    article = publish(account)
    penalise(Rung.CLOSE, moderator=senior, account=account, remove_content=article)
    admin = in_group(Level2UserFactory(is_staff=True, is_superuser=True), "moderator")
    mfa_login(client, admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/admin/publicaccounts/publicaccount/{account.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    penalty = PublicAccount.objects.get(pk=account.pk).closed_by_penalty
    assert "Closed" in html and f'href="/admin/moderation/penalty/{penalty.pk}/change/"' in html
    page = client.get(f"/admin/publicaccounts/article/{article.pk}/change/")
    assert page.status_code == 200
    removed = page.content.decode().split("field-removed_at")[1].split("</div>\n")[0]
    assert "readonly" in removed and ">-<" not in removed, "the take-down time is shown"
