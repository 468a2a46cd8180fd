"""Races on a real PostgreSQL: two user accounts of one person register at the same moment, double submits."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import Level2UserFactory
from core.testing import race
from publicaccounts import qualifications, services
from publicaccounts.models import LicenceType, PublicAccount, Qualification, Subscription

from .factories import confirm_identity, make_account, processed, register, resident_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]



@override_settings(PUBLIC_ACCOUNTS_PER_IDENTITY=1)
def test_two_accounts_of_one_person_racing_get_one_public_account():
    number = resident_id(seq=777)
    first, second = Level2UserFactory(), Level2UserFactory()
    confirm_identity(first, number)
    confirm_identity(second, number)
    results = race(lambda: register(first, name="First", handle="first"),
                   lambda: register(second, name="Second", handle="second"))
    assert sum(isinstance(r, PublicAccount) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert PublicAccount.objects.count() == 1


def test_two_people_racing_for_one_name_one_wins():
    a, b = Level2UserFactory(), Level2UserFactory()
    results = race(lambda: register(a, name="Same Name", handle="same-a"),
                   lambda: register(b, name="ＳＡＭＥ name", handle="same-b"))
    assert sum(isinstance(r, PublicAccount) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results


def test_a_double_submitted_application_is_stored_once():
    account = make_account()
    today = timezone.localdate()

    def apply():
        return qualifications.qualification_apply(
            account=account, actor=account.owner, licence_type=LicenceType.REPRODUCTION, licence_number="N-1",
            issuing_authority="CAC", valid_from=today, valid_until=today + timedelta(days=30), scan=processed())

    results = race(apply, apply)
    assert sum(isinstance(r, Qualification) for r in results) == 1, results
    assert Qualification.objects.count() == 1


def test_a_double_click_on_subscribe_subscribes_once():
    account = make_account()
    reader = Level2UserFactory()
    results = race(lambda: services.subscription_create(user=reader, account=account),
                   lambda: services.subscription_create(user=reader, account=account))
    assert all(isinstance(r, Subscription) for r in results), results
    assert Subscription.objects.count() == 1
