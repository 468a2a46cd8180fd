"""Seeded reserved terms and staff groups, English pages, and the people of the stories."""


import pytest

from accounts.tests.factories import Level2UserFactory

from .factories import confirm_identity, in_group, resident_id


@pytest.fixture(autouse=True)
def _seeded(db, client):
    """English pages (the root conftest re-seeds what data migrations create after a flush)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def owner(db):
    """A level-2 user with a confirmed real identity."""
    user = Level2UserFactory()
    confirm_identity(user, resident_id(seq=100 + user.pk % 800))
    return user


@pytest.fixture
def moderator(db):
    return in_group(Level2UserFactory(), "moderator")


@pytest.fixture
def compliance(db):
    return in_group(Level2UserFactory(), "compliance")
