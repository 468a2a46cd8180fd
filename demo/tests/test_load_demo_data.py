"""`manage.py load_demo_data`: every app's demo data, loaded from the top, twice without change."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from demo import PASSWORD
from moderation.models import ReviewItem
from publicaccounts.models import PublicAccount
from social.models import Friendship


@pytest.mark.django_db
def test_demo_data_loads_twice_without_change():
    call_command("load_demo_data")
    first = sorted(User.objects.values_list("email", "level"))
    counts = (Friendship.objects.count(), PublicAccount.objects.count(), ReviewItem.objects.count())
    call_command("load_demo_data")
    assert sorted(User.objects.values_list("email", "level")) == first
    assert (Friendship.objects.count(), PublicAccount.objects.count(), ReviewItem.objects.count()) == counts
    assert {e for e, _ in first} >= {"level0@demo.local", "level1@demo.local", "level2@demo.local",
                                     "moderator@demo.local", "senior@demo.local", "admin@demo.local",
                                     "vouchee@demo.local"}
    assert User.objects.get(email="senior@demo.local").groups.filter(name="senior moderator").exists()


@pytest.mark.django_db
def test_every_demo_account_signs_in_with_the_demo_password(client):
    call_command("load_demo_data")
    for email in ("level1@demo.local", "vouchee@demo.local"):
        assert client.login(email=email, password=PASSWORD), email


@pytest.mark.django_db
def test_demo_data_refused_where_disabled(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("load_demo_data")
    assert not User.objects.filter(email__endswith="@demo.local").exists()
