import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.masking import mask_document_number, mask_name
from accounts.models import Profile
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from social import services
from social.models import Comment, FriendRequest, Friendship, Moment

from .factories import CommentFactory, FriendRequestFactory, MomentFactory, make_friends

pytestmark = pytest.mark.django_db

REAL_NAME = "张三"
DOC_NUMBER = "11010519491231002X"


def _profile_url(ref) -> str:
    return reverse("social:profile", kwargs={"ref": ref})


@pytest.fixture
def person():
    """A verified user with a real identity, a phone, a handle and a bio."""
    person = Level2UserFactory()
    account_services.identity_store(user=person, real_name=REAL_NAME, document_type="resident_id",
                                     document_number=DOC_NUMBER)
    Profile.objects.filter(user=person).update(handle="Zhang_Fan", bio="I like tea.")
    person.refresh_from_db()
    return person


def _secrets(person) -> list[str]:
    national = person.phone.number.removeprefix("+86")
    return [
        REAL_NAME, mask_name(REAL_NAME), DOC_NUMBER, DOC_NUMBER.lower(), mask_document_number(DOC_NUMBER),
        DOC_NUMBER[-4:] + "<", national, person.phone.masked, str(person.phone.number), person.email,
    ]


def test_profile_by_id_and_by_handle_case_insensitively(client, person):
    for ref in (person.pk, "Zhang_Fan", "zhang_fan", "ZHANG_FAN"):
        response = client.get(_profile_url(ref))
        assert response.status_code == 200
        html = response.content.decode()
        assert person.profile.nickname in html and "I like tea." in html and "@Zhang_Fan" in html
        assert 'class="level-badge level-2"' in html


def test_unknown_ref_or_inactive_user_is_404(client, person):
    assert client.get(_profile_url(person.pk + 1000)).status_code == 404
    assert client.get(_profile_url("nobody")).status_code == 404
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert client.get(_profile_url(person.pk)).status_code == 404
    assert client.get(_profile_url("zhang_fan")).status_code == 404


def test_profile_never_shows_real_identity_phone_or_email(client, person):
    friend, stranger = Level1UserFactory(), Level1UserFactory()
    make_friends(person, friend)
    MomentFactory(author=person, text="a moment of mine")
    viewers = [None, stranger, friend, person]
    for viewer in viewers:
        if viewer is None:
            client.logout()
        else:
            client.force_login(viewer)
        html = client.get(_profile_url(person.pk)).content.decode()
        assert person.profile.nickname in html
        for secret in _secrets(person):
            assert secret not in html, (viewer, secret)


def test_moments_shown_to_self_and_friends_only(client, person):
    friend, stranger = Level1UserFactory(), Level1UserFactory()
    make_friends(person, friend)
    MomentFactory(author=person, text="only-for-friends")
    MomentFactory(author=friend, text="not-on-this-page")
    for viewer in (person, friend):
        client.force_login(viewer)
        html = client.get(_profile_url(person.pk)).content.decode()
        assert "only-for-friends" in html and "not-on-this-page" not in html
    client.force_login(stranger)
    html = client.get(_profile_url(person.pk)).content.decode()
    assert "only-for-friends" not in html
    assert "Moments are shown to friends only." in html
    client.logout()
    assert "only-for-friends" not in client.get(_profile_url(person.pk)).content.decode()


def test_friend_button_states(client, person):
    viewer = Level1UserFactory()
    client.force_login(viewer)
    send_url = reverse("social:friend_request_send", kwargs={"user_id": person.pk})
    assert send_url in client.get(_profile_url(person.pk)).content.decode()

    outgoing = services.friend_request_send(sender=viewer, recipient=person)
    html = client.get(_profile_url(person.pk)).content.decode()
    assert send_url not in html
    assert reverse("social:friend_request_cancel", kwargs={"pk": outgoing.pk}) in html

    client.force_login(person)
    html = client.get(_profile_url(viewer.pk)).content.decode()
    assert reverse("social:friend_request_accept", kwargs={"pk": outgoing.pk}) in html
    assert reverse("social:friend_request_decline", kwargs={"pk": outgoing.pk}) in html

    services.friend_request_accept(request=outgoing, actor=person)
    html = client.get(_profile_url(viewer.pk)).content.decode()
    since = Friendship.objects.get().since
    assert f"Friends since {timezone.localtime(since):%Y-%m-%d}" in html
    assert reverse("social:friendship_remove", kwargs={"user_id": viewer.pk}) in html


def test_own_profile_has_no_friend_button(client, person):
    client.force_login(person)
    html = client.get(_profile_url(person.pk)).content.decode()
    assert reverse("social:friend_request_send", kwargs={"user_id": person.pk}) not in html
    assert reverse("accounts:me") in html


def test_anonymous_visitor_is_asked_to_log_in(client, person):
    html = client.get(_profile_url(person.pk)).content.decode()
    assert "Please log in first." in html
    assert reverse("account_login") in html


# --- Admin ---------------------------------------------------------------------

@pytest.mark.parametrize("model", [FriendRequest, Friendship, Moment, Comment])
def test_admin_lists_show_no_real_identity(model, person):
    friend = Level1UserFactory()
    make_friends(person, friend)
    FriendRequestFactory(from_user=friend, to_user=person, status="accepted")
    CommentFactory(moment=MomentFactory(author=person), author=friend)
    staff = Level2UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = staff
    response = admin.site._registry[model].changelist_view(request)
    response.render()
    html = response.content.decode()
    assert response.status_code == 200
    for secret in _secrets(person):
        assert secret not in html
