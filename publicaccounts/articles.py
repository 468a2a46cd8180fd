"""Writes for articles: publish, edit, delete. Every write asks rights.publishing_decision first."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.policy import Action, Decision, PolicyDenied
from core.images import ProcessedImage
from moderation import audit
from moderation.models import Penalty, PenaltyStatus
from moderation.restrictions import STATUS_URL, public_account_require

from .models import (
    BODY_MAX_CHARS,
    TITLE_MAX_CHARS,
    Article,
    ArticleCategory,
    Origin,
    PublicAccount,
    delete_files,
)
from .rendering import render_markdown
from .rights import publishing_decision

_URL = URLValidator(schemes=["http", "https"])
SOURCE_FIELDS = ("source_unit", "original_author", "original_title", "original_url")


@dataclass(frozen=True)
class ArticleInput:
    """What the owner typed, cleaned: only what the category and origin call for is kept."""

    title: str
    body: str
    category: str
    origin: str = ""
    source_unit: str = ""
    original_author: str = ""
    original_title: str = ""
    original_url: str = ""


def _one_line(value: str, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def clean_article(*, title: str, body: str, category: str, origin: str = "", source_unit: str = "",
                  original_author: str = "", original_title: str = "", original_url: str = "") -> ArticleInput:
    """Check an article's fields; a ValidationError names the fields the owner must fix."""
    errors: dict[str, str] = {}
    title = _one_line(title, TITLE_MAX_CHARS + 1)
    if not title:
        errors["title"] = _("Give the article a title.")
    elif len(title) > TITLE_MAX_CHARS:
        errors["title"] = _("A title can have at most %(n)d characters.") % {"n": TITLE_MAX_CHARS}
    body = (body or "").strip()
    if not body:
        errors["body"] = _("Write the article first.")
    elif len(body) > BODY_MAX_CHARS:
        errors["body"] = _("An article can have at most %(n)d characters.") % {"n": BODY_MAX_CHARS}
    if category not in ArticleCategory.values:
        errors["category"] = _("Choose what kind of content this is.")
    sources = {"source_unit": _one_line(source_unit, 100), "original_author": _one_line(original_author, 100),
               "original_title": _one_line(original_title, 200), "original_url": (original_url or "").strip()}
    if category != ArticleCategory.POLITICAL_NEWS:
        origin = ""
    elif origin not in Origin.values:
        errors["origin"] = _("Say whether this news is original or reproduced from a news unit.")
    if origin == Origin.REPRODUCED:
        # A reproduction must credit its source: who published it, who wrote it, under which title, where.
        required = {"source_unit": _("Name the news unit that first published it."),
                    "original_author": _("Name the original author."),
                    "original_title": _("Give the original title."),
                    "original_url": _("Give the link to the original.")}
        for field, message in required.items():
            if not sources[field]:
                errors[field] = message
        if sources["original_url"] and "original_url" not in errors:
            try:
                _URL(sources["original_url"])
            except ValidationError:
                errors["original_url"] = _("Enter a full web address starting with https:// or http://.")
            if len(sources["original_url"]) > 500:
                errors["original_url"] = _("This link is too long.")
    else:
        sources = dict.fromkeys(SOURCE_FIELDS, "")
    if errors:
        raise ValidationError(errors)
    return ArticleInput(title=title, body=body, category=category, origin=origin, **sources)


def _lock_account(account: PublicAccount, actor: User) -> PublicAccount:
    acc = (PublicAccount.objects.select_for_update(of=("self",)).select_related("owner")
           .filter(pk=account.pk).first())
    if acc is None or acc.owner_id != actor.pk:
        raise PermissionDenied("only the owner may publish on a public account")
    return acc


def _require_right(acc: PublicAccount, data: ArticleInput) -> None:
    decision = publishing_decision(account=acc, category=data.category, origin=data.origin)
    if not decision:
        raise PolicyDenied(decision)


def _audit_data(article: Article) -> dict:
    return {"account": article.account_id, "origin": article.origin, "source_unit": article.source_unit}


def article_create(*, account: PublicAccount, actor: User, data: ArticleInput,
                   cover: ProcessedImage | None = None) -> Article:
    """Publish an article on the owner's account, if the publishing policy allows its category and origin."""
    written: list[str] = []
    storage = Article._meta.get_field("cover").storage
    try:
        with transaction.atomic():
            acc = _lock_account(account, actor)
            _require_right(acc, data)
            article = Article(account=acc, author=actor, body_html=render_markdown(data.body), **data.__dict__)
            if cover is not None:
                article.cover.save(f"cover{cover.extension}", ContentFile(cover.content), save=False)
                written.append(article.cover.name)
                article.cover_width, article.cover_height = cover.width, cover.height
            article.save()
            if article.is_political:
                audit.record(actor=actor, action="article.publish", target=article, data=_audit_data(article))
    except BaseException:
        delete_files(storage, written)
        raise
    return article


def removed_decision() -> Decision:
    """Why a removed article cannot be changed: it waits, as it was, for the appeal."""
    return Decision(False, reason=_("A moderator removed this article; it cannot be changed. You may appeal the "
                                    "decision from your status page."),
                    unlock_url=STATUS_URL, unlock_label=_("See why and how to appeal"))


def article_update(*, article: Article, actor: User, data: ArticleInput, cover: ProcessedImage | None = None,
                   remove_cover: bool = False) -> Article:
    """Edit an article; the new category and origin must be allowed now, like a new article's."""
    policy.require(actor, Action.EDIT_CONTENT)
    public_account_require(article.account, Action.EDIT_CONTENT)
    written: list[str] = []
    storage = Article._meta.get_field("cover").storage
    try:
        with transaction.atomic():
            acc = _lock_account(article.account, actor)
            locked = Article.objects.select_for_update().filter(pk=article.pk, account=acc).first()
            if locked is None:
                raise PermissionDenied("only the owner may edit an article")
            if locked.is_removed:
                raise PolicyDenied(removed_decision())
            _require_right(acc, data)
            was_political = locked.is_political
            old_cover = locked.cover.name if locked.cover else ""
            for field, value in data.__dict__.items():
                setattr(locked, field, value)
            locked.body_html = render_markdown(data.body)
            locked.edited_at = timezone.now()
            if cover is not None:
                locked.cover.save(f"cover{cover.extension}", ContentFile(cover.content), save=False)
                written.append(locked.cover.name)
                locked.cover_width, locked.cover_height = cover.width, cover.height
            elif remove_cover:
                locked.cover = ""
                locked.cover_width = locked.cover_height = 0
            locked.save()
            if was_political or locked.is_political:
                audit.record(actor=actor, action="article.update", target=locked,
                             data={**_audit_data(locked), "category": locked.category, "was_political": was_political})
            if old_cover and (cover is not None or remove_cover):
                transaction.on_commit(lambda: delete_files(storage, [old_cover]))
    except BaseException:
        delete_files(storage, written)
        raise
    return locked


def article_delete(*, article: Article, actor: User) -> None:
    """The owner deletes an article (idempotent); its cover goes once the deletion is committed."""
    # Deleting is editing: a suspended operator, or a suspended public account, changes nothing.
    policy.require(actor, Action.EDIT_CONTENT)
    public_account_require(article.account, Action.EDIT_CONTENT)
    with transaction.atomic():
        locked = Article.objects.select_for_update(of=("self",)).select_related("account").filter(pk=article.pk).first()
        if locked is None:
            return  # already deleted: a double submit is harmless
        if locked.account.owner_id != actor.pk:
            raise PermissionDenied("only the owner may delete an article")
        if locked.is_political:
            audit.record(actor=actor, action="article.delete", target=locked,
                         data={**_audit_data(locked), "title": locked.title,
                               "published_at": timezone.localtime(locked.published_at).isoformat()})
        locked.delete()


# --- Take-downs (the "article" TargetType calls these inside the moderator's transaction) --------

def article_remove(*, article: Article, actor: User) -> None:
    """Take an article down: a tombstone shows in its place; its text and cover are kept for an appeal."""
    # update(), not save(): updated_at must not move, so a restore gives back exactly what was.
    now = timezone.now()
    if Article.objects.filter(pk=article.pk, removed_at__isnull=True).update(removed_at=now):
        article.removed_at = now


def article_restore(*, article: Article, actor: User) -> None:
    """Bring a removed article back as it was (an upheld appeal), unless another standing penalty removed it too."""
    # The penalty being overturned is already saved as overturned when restore() runs.
    if Penalty.objects.filter(status=PenaltyStatus.ACTIVE, removed__key="article", removed__pk=article.pk).exists():
        return
    Article.objects.filter(pk=article.pk).update(removed_at=None)
    article.removed_at = None
