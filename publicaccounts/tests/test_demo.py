"""The demo account: a reproduction licence in force and two articles, loaded once."""

import pytest

from accounts.tests.factories import Level2UserFactory
from publicaccounts.demo import DEMO_HANDLE, load_demo_publicaccounts
from publicaccounts.models import Article, PublicAccount, private_storage
from publicaccounts.rights import may_publish_political_news

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_licensed():
    load_demo_publicaccounts()  # no demo user yet: nothing happens
    assert not PublicAccount.objects.exists()
    Level2UserFactory(email="level2@demo.local")
    load_demo_publicaccounts()
    load_demo_publicaccounts()
    account = PublicAccount.objects.get(handle=DEMO_HANDLE)
    assert may_publish_political_news(account=account)
    assert Article.objects.filter(account=account).count() == 2
    assert private_storage().exists(account.qualifications.get().scan.name)
    assert Article.objects.get(origin="reproduced").source_unit
