"""An erased account takes its public accounts and subscriptions with it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.deletion import deletion_erase, deletion_start
from accounts.tests.factories import Level2UserFactory
from publicaccounts.models import Article, PublicAccount, Subscription
from publicaccounts.services import subscription_create

from .factories import make_account, publish

pytestmark = pytest.mark.django_db


def test_erasure_removes_the_users_public_accounts_and_subscriptions(django_capture_on_commit_callbacks):
    leaving, reader = Level2UserFactory(), Level2UserFactory()
    account = make_account(leaving)
    publish(account)
    others = make_account(reader, name="Reader Daily", handle="reader-daily")
    subscription_create(user=leaving, account=others)
    subscription_create(user=reader, account=account)
    request = deletion_start(user=leaving)
    with django_capture_on_commit_callbacks(execute=True):
        assert deletion_erase(deletion_request_id=request.pk, now=timezone.now() + timedelta(days=61))
    assert not PublicAccount.objects.filter(owner=leaving).exists()
    assert not Article.objects.filter(account_id=account.pk).exists()
    assert not Subscription.objects.filter(user=leaving).exists()
    assert PublicAccount.objects.filter(pk=others.pk).exists()
