"""Builders for public-account tests: identities, accounts, qualifications, articles, images."""

import io
import os
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from stdnum.cn import ric

from accounts import services as account_services
from accounts.tests.factories import Level2UserFactory
from core.images import process_image
from core.statemachine import seeding
from publicaccounts import services
from publicaccounts.articles import article_create, clean_article
from publicaccounts.models import (
    AccountStatus,
    Article,
    ArticleCategory,
    LicenceType,
    PublicAccount,
    Qualification,
    QualificationStatus,
)
from publicaccounts.names import name_key

VALID_USCC = "91110000600037341L"


def resident_id(seq: int = 123, birth: str = "19900307", region: str = "110105") -> str:
    """A valid (checksummed) resident ID number; not a real person."""
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def confirm_identity(user, number: str, name: str = "张三"):
    """Give `user` a confirmed real identity with this document number (as a document approval would)."""
    identity = account_services.identity_store(user=user, real_name=name, document_type="resident_id",
                                               document_number=number)
    return account_services.identity_confirm(identity=identity)


def png_bytes(width: int = 160, height: int = 100) -> bytes:
    """A never-seen-before image (random pixels)."""
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def processed():
    return process_image(png_bytes())


_counter = iter(range(1, 10**9))


def make_account(owner=None, *, name: str | None = None, handle: str | None = None,
                 status: str = AccountStatus.ACTIVE, **extra) -> PublicAccount:
    """An account written directly (no cap, no review): for tests about what comes after registration."""
    owner = owner or Level2UserFactory()
    n = next(_counter)
    name = name or f"Account {n}"
    with seeding():  # any status, as if it had got there along the graph
        return PublicAccount.objects.create(owner=owner, name=name, name_key=name_key(name),
                                            handle=handle or f"acc-{n}", status=status, **extra)


def make_qualification(account, *, licence_type: str = LicenceType.REPRODUCTION,
                       status: str = QualificationStatus.APPROVED, valid_from: date | None = None,
                       valid_until: date | None = None, **extra) -> Qualification:
    today = timezone.localdate()
    with seeding():  # any status, as if it had got there along the graph
        return Qualification.objects.create(
            account=account, licence_type=licence_type, licence_number=f"L-{next(_counter)}",
            issuing_authority="Beijing Cyberspace Administration", status=status,
            valid_from=valid_from or today - timedelta(days=10),
            valid_until=valid_until or today + timedelta(days=200), **extra)


def register(owner, *, name: str = "Morning Post", handle: str = "morning-post", **extra) -> PublicAccount:
    """Register through the service (cap, names, review)."""
    return services.account_register(owner=owner, name=name, handle=handle, **extra)


def publish(account, *, title: str = "Hello", body: str = "Some **text**.", category: str = ArticleCategory.OTHER,
            origin: str = "", **sources) -> Article:
    data = clean_article(title=title, body=body, category=category, origin=origin, **sources)
    return article_create(account=account, actor=account.owner, data=data)


REPRODUCTION_SOURCE = {
    "source_unit": "Xinhua News Agency", "original_author": "Li Ming", "original_title": "The original",
    "original_url": "https://www.news.cn/a/1.html",
}


def in_group(user, name: str):
    user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user
