"""Pages: who sees what (404s), subscriptions, the feed, articles and their form, sanitised Markdown."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import Level2UserFactory, UserFactory
from moderation.models import AuditEntry
from publicaccounts.models import AccountStatus, Article, ArticleCategory, LicenceType, Origin, Subscription

from .factories import REPRODUCTION_SOURCE, make_account, make_qualification, publish, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return make_account(name="Garden Notes", handle="garden", introduction="All about plants.")


# --- Who sees what --------------------------------------------------------------

@pytest.mark.parametrize("status", [AccountStatus.PENDING_REVIEW, AccountStatus.REJECTED, AccountStatus.CLOSED])
def test_hidden_accounts_are_404_for_everyone_but_the_owner(client, status):
    account = make_account(status=status, handle="hidden")
    article = Article.objects.create(account=account, title="t", body="b", body_html="<p>b</p>")
    assert client.get("/p/hidden/").status_code == 404
    assert client.get(f"/p/hidden/a/{article.pk}/").status_code == 404
    client.force_login(UserFactory())
    assert client.get("/p/hidden/").status_code == 404
    assert client.post("/p/hidden/subscribe/").status_code == 404
    client.force_login(account.owner)
    response = client.get("/p/hidden/")
    assert response.status_code == 200
    assert b'id="account-status"' in response.content


def test_the_account_page_shows_its_public_face(client, account):
    account.operator_type = "organisation"
    account.operator_name = "Example Co., Ltd."
    account.operator_code = "91110000600037341L"
    account.category = "culture"
    account.save()
    response = client.get("/P/GARDEN/".lower().replace("garden", "GARDEN"))  # handles are case-insensitive
    assert response.status_code == 200
    body = response.content.decode()
    assert "Garden Notes" in body and "All about plants." in body
    assert "Operated by an organisation: Example Co., Ltd." in body
    assert "Culture and arts" in body
    assert "0 subscribers" in body
    # The real identity and the credit code are never on the public page.
    assert "91110000600037341L" not in body
    assert 'id="owner-title"' not in body


def test_articles_are_newest_first_and_paginated(client, account, settings):
    settings.ARTICLE_PAGE_SIZE = 2
    now = timezone.now()
    for i in range(3):
        Article.objects.create(account=account, title=f"Article {i}", body="b", body_html="<p>b</p>",
                               published_at=now - timedelta(hours=i))
    body = client.get("/p/garden/").content.decode()
    assert body.index("Article 0") < body.index("Article 1")
    assert "Article 2" not in body
    assert "Article 2" in client.get("/p/garden/?page=2").content.decode()


# --- Subscriptions and feed ------------------------------------------------------

def test_subscribe_is_a_post_and_idempotent(client, account):
    user = UserFactory()  # level 0 may read and subscribe
    client.force_login(user)
    assert client.get("/p/garden/subscribe/").status_code == 405
    for _ in range(2):
        assert client.post("/p/garden/subscribe/").status_code == 302
    assert Subscription.objects.filter(user=user, account=account).count() == 1
    assert "1 subscriber" in client.get("/p/garden/").content.decode()
    for _ in range(2):
        assert client.post("/p/garden/unsubscribe/").status_code == 302
    assert not Subscription.objects.exists()


def test_subscribe_needs_csrf(account):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory())
    assert strict.post("/p/garden/subscribe/").status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, account):
    response = client.post("/p/garden/subscribe/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_feed_shows_subscribed_accounts_newest_first(client, account):
    other = make_account(name="Other", handle="other")
    unsubscribed = make_account(name="Unseen", handle="unseen")
    now = timezone.now()
    Article.objects.create(account=account, title="Older", body="b", body_html="", published_at=now - timedelta(days=1))
    Article.objects.create(account=other, title="Newer", body="b", body_html="", published_at=now)
    Article.objects.create(account=unsubscribed, title="Not for me", body="b", body_html="", published_at=now)
    user = UserFactory()
    Subscription.objects.create(user=user, account=account)
    Subscription.objects.create(user=user, account=other)
    client.force_login(user)
    body = client.get("/publicaccounts/feed/").content.decode()
    assert body.index("Newer") < body.index("Older")
    assert "Not for me" not in body


def test_the_feed_leaves_out_accounts_that_are_no_longer_public(client, account):
    user = UserFactory()
    Subscription.objects.create(user=user, account=account)
    Article.objects.create(account=account, title="Gone soon", body="b", body_html="")
    account.status = AccountStatus.CLOSED
    account.save()
    client.force_login(user)
    assert "Gone soon" not in client.get("/publicaccounts/feed/").content.decode()


def test_the_feed_needs_a_login(client):
    assert client.get("/publicaccounts/feed/").status_code == 302


# --- Articles ------------------------------------------------------------------------

def test_markdown_is_rendered_and_scripts_are_stripped(client, account):
    article = publish(account, title="XSS", body=(
        "# Heading\n\nHello <script>alert(1)</script> **bold**\n\n"
        "[click](javascript:alert(2)) [ok](https://example.com)\n\n"
        "<img src=x onerror=alert(3)> <a href=\"https://e.com\" onclick=\"alert(4)\" style=\"color:red\">e</a>\n\n"
        "![pic](https://evil.example/p.png) <iframe src=\"https://evil.example\"></iframe>"))
    body = client.get(f"/p/garden/a/{article.pk}/").content.decode()
    rendered = body[body.index('<div class="pa-body">'):]
    for bad in ("<script", "alert(1)", "javascript:", "onerror", "onclick", "style=", "<img", "<iframe",
                "evil.example"):
        assert bad not in rendered, bad
    assert "<strong>bold</strong>" in rendered
    assert "<h2>Heading</h2>" in rendered
    assert 'href="https://example.com" rel="nofollow noopener"' in rendered


def test_the_owner_writes_an_article_through_the_form(client, account):
    client.force_login(account.owner)
    response = client.get("/p/garden/articles/new/")
    body = response.content.decode()
    # No licence: political news is offered, disabled, with the reason and the way to get the right.
    assert 'value="political_news"' in body
    assert "disabled" in body[body.index('value="political_news"') - 200:body.index('value="political_news"') + 200]
    assert "needs a news-service licence" in body
    assert "/p/garden/qualifications/new/" in body
    response = client.post("/p/garden/articles/new/", {"title": "Spring", "body": "Plant *now*.",
                                                       "category": "other", "cover": upload()})
    article = Article.objects.get()
    assert response["Location"] == f"/p/garden/a/{article.pk}/"
    assert article.body_html == "<p>Plant <em>now</em>.</p>"
    assert article.cover.name.startswith("publicaccounts/covers/")
    assert not AuditEntry.objects.filter(action="article.publish").exists()  # only political news is audited


def test_a_crafted_post_cannot_choose_a_disabled_option(client, account):
    client.force_login(account.owner)
    response = client.post("/p/garden/articles/new/", {
        "title": "News", "body": "b", "category": "political_news", "origin": "reproduced", **REPRODUCTION_SOURCE})
    assert response.status_code == 400
    assert b"needs a news-service licence" in response.content
    assert not Article.objects.exists()
    # What was typed is still there.
    assert b'value="Xinhua News Agency"' in response.content


def test_reproduced_news_credits_its_source_on_the_page(client, account):
    make_qualification(account, licence_type=LicenceType.REPRODUCTION)
    client.force_login(account.owner)
    response = client.post("/p/garden/articles/new/", {
        "title": "State news", "body": "Text.", "category": "political_news", "origin": "reproduced",
        "source_unit": "Xinhua News Agency", "original_author": "", "original_title": "Orig",
        "original_url": "ftp://x"})
    assert response.status_code == 400
    assert b"Name the original author." in response.content
    assert b"https:// or http://" in response.content
    response = client.post("/p/garden/articles/new/", {
        "title": "State news", "body": "Text.", "category": "political_news", "origin": "reproduced",
        **REPRODUCTION_SOURCE})
    assert response.status_code == 302
    article = Article.objects.get()
    page = client.get(f"/p/garden/a/{article.pk}/").content.decode()
    for text in REPRODUCTION_SOURCE.values():
        assert text in page
    assert AuditEntry.objects.filter(action="article.publish", target_id=str(article.pk)).exists()


def test_original_news_is_disabled_for_a_reproduction_licence(client, account):
    make_qualification(account, licence_type=LicenceType.REPRODUCTION)
    client.force_login(account.owner)
    body = client.get("/p/garden/articles/new/").content.decode()
    at = body.index('value="original"')
    assert "disabled" in body[at - 200:at + 100]
    assert "Only news units with an original-publishing licence" in body
    at = body.index('value="reproduced"')
    assert "disabled" not in body[at - 200:at + 100]


def test_only_the_owner_edits_and_deletes(client, account):
    article = publish(account)
    stranger = Level2UserFactory()
    client.force_login(stranger)
    assert client.get(f"/p/garden/a/{article.pk}/edit/").status_code == 404
    assert client.post(f"/p/garden/a/{article.pk}/delete/").status_code == 404
    assert client.get("/p/garden/articles/new/").status_code == 404
    assert client.get("/p/garden/qualifications/new/").status_code == 404
    client.force_login(account.owner)
    response = client.post(f"/p/garden/a/{article.pk}/edit/", {"title": "Edited", "body": "New", "category": "other"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body_html) == ("Edited", "<p>New</p>")
    assert article.edited_at is not None
    assert "edited " in client.get(f"/p/garden/a/{article.pk}/").content.decode()
    assert client.post(f"/p/garden/a/{article.pk}/delete/").status_code == 302
    assert not Article.objects.exists()
    assert client.post(f"/p/garden/a/{article.pk}/delete/").status_code == 404


def test_deleting_political_news_is_audited(account):
    from publicaccounts.articles import article_delete

    make_qualification(account, licence_type=LicenceType.ORIGINAL)
    article = publish(account, category=ArticleCategory.POLITICAL_NEWS, origin=Origin.ORIGINAL)
    article_delete(article=article, actor=account.owner)
    article_delete(article=article, actor=account.owner)  # a double submit is harmless
    entry = AuditEntry.objects.get(action="article.delete")
    assert entry.data["title"] == "Hello"


# --- Marks ---------------------------------------------------------------------------

def test_the_mark_shows_while_the_licence_is_in_force(client, account, time_machine):
    q = make_qualification(account, licence_type=LicenceType.REPRODUCTION,
                           valid_until=timezone.localdate() + timedelta(days=3))
    article = publish(account, category=ArticleCategory.POLITICAL_NEWS, origin=Origin.REPRODUCED,
                      **REPRODUCTION_SOURCE)
    for url in ("/p/garden/", f"/p/garden/a/{article.pk}/"):
        body = client.get(url).content.decode()
        assert 'class="news-mark"' in body
        assert q.licence_number in body and "Beijing Cyberspace Administration" in body
        assert q.valid_until.strftime("%Y-%m-%d") in body
    time_machine.move_to(timezone.now() + timedelta(days=5))
    for url in ("/p/garden/", f"/p/garden/a/{article.pk}/"):
        assert 'class="news-mark"' not in client.get(url).content.decode()


def test_a_revoked_licence_loses_its_mark(client, account, compliance):
    from publicaccounts.qualifications import qualification_revoke

    q = make_qualification(account, licence_type=LicenceType.ORIGINAL)
    assert 'class="news-mark"' in client.get("/p/garden/").content.decode()
    qualification_revoke(qualification=q, actor=compliance, reason="Licence withdrawn by the authority.")
    assert 'class="news-mark"' not in client.get("/p/garden/").content.decode()


def test_my_accounts_page(client, owner):
    make_account(owner, name="Mine", handle="mine")
    client.force_login(owner)
    body = client.get("/publicaccounts/mine/").content.decode()
    assert "Mine" in body and "/publicaccounts/new/" in body
