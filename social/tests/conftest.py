import pytest

from accounts.tests.factories import Level1UserFactory

from .utils import UPLOADS


@pytest.fixture(autouse=True)
def _english(client):
    # Pages render in the viewer's language; tests compare English text.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def friend_pair(db):
    """Two level-1 users who are friends."""
    from .factories import make_friends

    a, b = Level1UserFactory(), Level1UserFactory()
    make_friends(a, b)
    return a, b


@pytest.fixture
def processed_png():
    """The shared plain PNG, already through the image pipeline."""
    from core.images import process_image

    return process_image((UPLOADS / "id-back-plain.png").read_bytes())
