"""Every page another person can see of a user with a real identity: never the name or number."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.masking import mask_document_number, mask_name
from accounts.models import Profile
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from social import services

from .factories import CommentFactory, MomentFactory, make_friends

pytestmark = pytest.mark.django_db

REAL_NAME = "欧阳娜娜"
NUMBER = "11010519491231002X"


def _forbidden(person) -> list[str]:
    number = NUMBER
    return [
        REAL_NAME, mask_name(REAL_NAME), REAL_NAME[1:],
        number, number.lower(), mask_document_number(number), number[:6] + "*", number[6:14],
        person.email, person.phone.number.removeprefix("+86"), person.phone.masked,
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_public_page_shows_the_real_identity(client, language, django_capture_on_commit_callbacks):
    person = Level2UserFactory()
    account_services.identity_store(user=person, real_name=REAL_NAME, document_type="resident_id",
                                    document_number=NUMBER)
    Profile.objects.filter(user=person).update(handle="nana", nickname="Nana", bio="Hello")
    friend, stranger = Level1UserFactory(), Level1UserFactory()
    make_friends(person, friend)
    moment = MomentFactory(author=person, text="Tea time")
    CommentFactory(moment=moment, author=person, text="my own comment")
    with django_capture_on_commit_callbacks(execute=True):
        services.friend_request_send(sender=person, recipient=stranger)

    pages = {
        None: ["/", f"/u/{person.pk}/", "/u/nana/", "/agreement/", "/accounts/login/", "/accounts/signup/"],
        stranger: ["/", f"/u/{person.pk}/", "/u/nana/", "/friends/", "/notifications/"],
        friend: ["/", f"/u/{person.pk}/", "/u/nana/", f"/moments/{moment.pk}/", "/friends/", "/notifications/"],
    }
    seen = 0
    for viewer, urls in pages.items():
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            html = response.content.decode()
            for secret in _forbidden(person):
                assert secret not in html, (viewer, url, secret)
            seen += "Nana" in html
    # The nickname is what people see instead (profile, feed, moment, friends, notifications).
    assert seen >= 8
    assert reverse("social:profile", kwargs={"ref": person.pk}) == f"/u/{person.pk}/"
