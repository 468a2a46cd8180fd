"""What moderation may report and penalise in publicaccounts (registered in PublicAccountsConfig.ready()).

A public account is penalised, never "removed": a rung of the ladder applies to it (penalty_subject),
and a closure closes it (closure.py). An article is content: it can be taken down behind a tombstone.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from moderation.selectors import user_is_closed
from moderation.targets import TargetType

from . import articles
from .models import Article, PublicAccount


def _account_url(account: PublicAccount) -> str:
    return reverse("publicaccounts:account", kwargs={"handle": account.handle})


def _account_visible(viewer, account: PublicAccount) -> bool:
    # What the public cannot see (pending, rejected, closed) cannot be reported either.
    return account.is_public and not user_is_closed(account.owner)


def _article_snapshot(article: Article) -> dict:
    return {"title": article.title, "text": article.body, "images": [article.cover.name] if article.cover else []}


def _article_visible(viewer, article: Article) -> bool:
    return not article.is_removed and _account_visible(viewer, article.account)


def public_account_target() -> TargetType:
    return TargetType(
        key="publicaccount", label=_("Public account"), model=PublicAccount, owner=lambda account: account.owner,
        snapshot=lambda account: {"title": account.name, "text": account.introduction,
                                  "images": [account.avatar.name] if account.avatar else []},
        url=_account_url, penalty_subject=lambda account: account, visible_to=_account_visible, removable=False,
    )


def article_target() -> TargetType:
    return TargetType(
        key="article", label=_("Article"), model=Article, owner=lambda article: article.account.owner,
        snapshot=_article_snapshot,
        url=lambda article: reverse("publicaccounts:article",
                                    kwargs={"handle": article.account.handle, "pk": article.pk}),
        remove=lambda article, actor: articles.article_remove(article=article, actor=actor),
        restore=lambda article, actor: articles.article_restore(article=article, actor=actor),
        penalty_subject=lambda article: article.account, visible_to=_article_visible,
    )
