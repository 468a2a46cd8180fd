"""Builders for vouching tests: applicants, vouchers who pass every rule, cases started through the services."""

import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import Level, LevelSource
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from moderation.models import ReviewItem
from social.models import Friendship
from social.tests.factories import make_friends
from verification.documents.models import DocumentKind
from verification.tests.utils import resident_id
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCase, VouchRequest

_seq = iter(range(100, 1000))


def unique_id_number() -> str:
    """A valid resident ID number never used before in this test run."""
    return resident_id(seq=f"{next(_seq):03d}")


def make_applicant(*, joined_days: int = 60, **kwargs):
    """A level-1 user old enough not to be flagged as a young account."""
    return Level1UserFactory(date_joined=timezone.now() - timedelta(days=joined_days), **kwargs)


def befriend(a, b, *, days: int = 8) -> Friendship:
    friendship = make_friends(a, b)
    friendship.since = timezone.now() - timedelta(days=days)
    friendship.save(update_fields=["since"])
    return friendship


def make_voucher(applicant=None, *, verified_days: int = 31, friend_days: int = 8, joined_days: int = 400,
                 source: str = LevelSource.DOCUMENT, level: int = Level.VERIFIED, **kwargs):
    """A friend of `applicant` who passes every rule unless told otherwise."""
    now = timezone.now()
    factory = Level2UserFactory if level >= Level.VERIFIED else Level1UserFactory
    voucher = factory(level=level, level_source=source, level_changed_at=now - timedelta(days=verified_days),
                      date_joined=now - timedelta(days=joined_days), **kwargs)
    if applicant is not None:
        befriend(applicant, voucher, days=friend_days)
    return voucher


def device() -> str:
    return secrets.token_urlsafe(24)


def start_case(applicant, vouchers, *, name: str = "张三", number: str | None = None, ip: str | None = None,
               device_id: str | None = None, kind: str = "resident_id") -> VouchCase:
    return vouch_services.vouch_case_create(
        applicant=applicant, kind=DocumentKind.objects.get(code=kind), real_name=name,
        document_number=number or unique_id_number(), voucher_ids=[v.pk for v in vouchers], ip=ip,
        device_id=device() if device_id is None else device_id)


def request_of(case, voucher) -> VouchRequest:
    return VouchRequest.objects.get(case=case, voucher=voucher)


def confirm(case, voucher, *, ip: str | None = None, device_id: str | None = None) -> VouchRequest:
    return vouch_services.vouch_request_confirm(vouch_request=request_of(case, voucher), actor=voucher,
                                                statement=True, ip=ip,
                                                device_id=device() if device_id is None else device_id)


def confirm_all(case, vouchers) -> VouchCase:
    for voucher in vouchers:
        confirm(case, voucher)
    case.refresh_from_db()
    return case


def circle(n: int = 3, **applicant_kwargs):
    """An applicant and `n` friends who may all vouch."""
    applicant = make_applicant(**applicant_kwargs)
    return applicant, [make_voucher(applicant) for _ in range(n)]


def vouch_item(case) -> ReviewItem:
    """The case's newest queue item, whatever its state."""
    return ReviewItem.objects.filter(kind="vouch", object_id=case.pk).latest("pk")


def flag_codes(item: ReviewItem) -> set[str]:
    return {flag["code"] for flag in item.flags}
