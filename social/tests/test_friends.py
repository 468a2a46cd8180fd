import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from accounts.policy import PolicyDenied
from accounts.tests.factories import Level1UserFactory, UserFactory
from social import selectors, services
from social.models import FriendRequest, FriendRequestStatus, Friendship, InvalidTransition

from .factories import FriendRequestFactory, make_friends

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return Level1UserFactory()


@pytest.fixture
def bob():
    return Level1UserFactory()


# --- Services ----------------------------------------------------------------

def test_send_creates_pending_request_and_notifies_by_app_and_email(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fr = services.friend_request_send(sender=alice, recipient=bob)
    assert fr.status == FriendRequestStatus.PENDING
    note = Notification.objects.get(user=bob)
    assert note.kind == "friend.request"
    assert alice.profile.nickname in note.title
    assert note.url == reverse("social:friends")
    assert [m.to for m in mail.outbox] == [[bob.email]]
    assert note.title in mail.outbox[0].subject


def test_send_twice_returns_the_same_pending_request(alice, bob):
    first = services.friend_request_send(sender=alice, recipient=bob)
    second = services.friend_request_send(sender=alice, recipient=bob)
    assert first.pk == second.pk
    assert FriendRequest.objects.count() == 1
    assert Notification.objects.filter(user=bob).count() == 1


def test_send_to_self_is_refused(alice):
    with pytest.raises(services.FriendError) as exc:
        services.friend_request_send(sender=alice, recipient=alice)
    assert exc.value.code == "self"
    assert not FriendRequest.objects.exists()


def test_send_to_a_friend_is_refused(alice, bob):
    make_friends(alice, bob)
    with pytest.raises(services.FriendError) as exc:
        services.friend_request_send(sender=bob, recipient=alice)
    assert exc.value.code == "already_friends"


def test_send_to_an_inactive_user_is_refused(alice):
    gone = Level1UserFactory(is_active=False)
    with pytest.raises(services.FriendError):
        services.friend_request_send(sender=alice, recipient=gone)


def test_level0_sender_is_refused_with_the_reason(user, bob):
    with pytest.raises(PolicyDenied) as exc:
        services.friend_request_send(sender=user, recipient=bob)
    assert "mobile number" in exc.value.decision.reason
    assert exc.value.decision.unlock_url == reverse("accounts:phone")
    assert not FriendRequest.objects.exists()


def test_a_crossing_request_is_accepted_instead(alice, bob, django_capture_on_commit_callbacks):
    incoming = services.friend_request_send(sender=bob, recipient=alice)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.friend_request_send(sender=alice, recipient=bob)
    assert result.pk == incoming.pk
    assert result.status == FriendRequestStatus.ACCEPTED
    assert selectors.are_friends(alice, bob)
    assert FriendRequest.objects.count() == 1
    assert Notification.objects.filter(user=bob, kind="friend.accepted").exists()


def test_accept_makes_friends_once_and_notifies_the_sender(alice, bob, django_capture_on_commit_callbacks):
    fr = services.friend_request_send(sender=alice, recipient=bob)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.friend_request_accept(request=fr, actor=bob)
    again = services.friend_request_accept(request=fr, actor=bob)  # double submit
    assert again.status == FriendRequestStatus.ACCEPTED
    friendship = Friendship.objects.get()
    assert (friendship.user_low_id, friendship.user_high_id) == tuple(sorted([alice.pk, bob.pk]))
    assert friendship.since is not None
    note = Notification.objects.get(user=alice, kind="friend.accepted")
    assert bob.profile.nickname in note.title
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert selectors.are_friends(alice, bob) and selectors.are_friends(bob, alice)


def test_only_the_recipient_may_accept_or_decline(alice, bob):
    fr = services.friend_request_send(sender=alice, recipient=bob)
    with pytest.raises(PermissionDenied):
        services.friend_request_accept(request=fr, actor=alice)
    with pytest.raises(PermissionDenied):
        services.friend_request_decline(request=fr, actor=Level1UserFactory())
    fr.refresh_from_db()
    assert fr.status == FriendRequestStatus.PENDING


def test_accepting_needs_level_1(alice):
    newcomer = UserFactory()
    fr = services.friend_request_send(sender=alice, recipient=newcomer)
    with pytest.raises(PolicyDenied):
        services.friend_request_accept(request=fr, actor=newcomer)
    assert not Friendship.objects.exists()


def test_decline_is_idempotent_and_final(alice, bob):
    fr = services.friend_request_send(sender=alice, recipient=bob)
    services.friend_request_decline(request=fr, actor=bob)
    services.friend_request_decline(request=fr, actor=bob)
    fr.refresh_from_db()
    assert fr.status == FriendRequestStatus.DECLINED and fr.decided_at
    with pytest.raises(services.FriendError) as exc:
        services.friend_request_accept(request=fr, actor=bob)
    assert exc.value.code == "not_pending"
    with pytest.raises(services.FriendError):
        services.friend_request_cancel(request=fr, actor=alice)
    # The sender is not told about a decline.
    assert not Notification.objects.filter(user=alice).exists()


def test_cancel_by_the_sender_only_and_final(alice, bob):
    fr = services.friend_request_send(sender=alice, recipient=bob)
    with pytest.raises(PermissionDenied):
        services.friend_request_cancel(request=fr, actor=bob)
    services.friend_request_cancel(request=fr, actor=alice)
    services.friend_request_cancel(request=fr, actor=alice)
    fr.refresh_from_db()
    assert fr.status == FriendRequestStatus.CANCELLED
    with pytest.raises(services.FriendError):
        services.friend_request_accept(request=fr, actor=bob)
    with pytest.raises(services.FriendError):
        services.friend_request_decline(request=fr, actor=bob)
    assert not Friendship.objects.exists()


def test_a_new_request_may_follow_a_declined_one(alice, bob):
    first = services.friend_request_send(sender=alice, recipient=bob)
    services.friend_request_decline(request=first, actor=bob)
    second = services.friend_request_send(sender=alice, recipient=bob)
    assert second.pk != first.pk and second.status == FriendRequestStatus.PENDING


def test_undeclared_edges_are_refused_by_the_state_machine(alice, bob):
    fr = FriendRequestFactory(from_user=alice, to_user=bob, status=FriendRequestStatus.ACCEPTED)
    for target in (FriendRequestStatus.PENDING, FriendRequestStatus.DECLINED, FriendRequestStatus.CANCELLED):
        with pytest.raises(InvalidTransition):
            fr.transition(to=target)
    pending = FriendRequestFactory(from_user=bob, to_user=alice)
    with pytest.raises(InvalidTransition):
        pending.transition(to=FriendRequestStatus.PENDING)


def test_remove_friendship_is_idempotent_and_allows_asking_again(alice, bob):
    make_friends(alice, bob)
    assert services.friendship_remove(actor=bob, other=alice) is True
    assert services.friendship_remove(actor=bob, other=alice) is False
    assert not selectors.are_friends(alice, bob)
    assert services.friend_request_send(sender=alice, recipient=bob).status == FriendRequestStatus.PENDING


def test_database_refuses_unordered_or_duplicate_pairs(alice, bob):
    low, high = sorted([alice, bob], key=lambda u: u.pk)
    Friendship.objects.create(user_low=low, user_high=high)
    with pytest.raises(IntegrityError), transaction.atomic():
        Friendship.objects.create(user_low=high, user_high=low)
    with pytest.raises(IntegrityError), transaction.atomic():
        Friendship.objects.create(user_low=low, user_high=high)


def test_database_refuses_a_second_pending_request(alice, bob):
    FriendRequestFactory(from_user=alice, to_user=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        FriendRequestFactory(from_user=alice, to_user=bob)


def test_selectors_list_friends_with_since_and_pending_requests(alice, bob):
    carol, dave = Level1UserFactory(), Level1UserFactory()
    friendship = make_friends(alice, bob)
    make_friends(carol, alice)
    services.friend_request_send(sender=dave, recipient=alice)
    services.friend_request_send(sender=alice, recipient=Level1UserFactory())
    friends = list(selectors.friends_of(alice))
    assert {f.pk for f in friends} == {bob.pk, carol.pk}
    assert next(f for f in friends if f.pk == bob.pk).friends_since == friendship.since
    assert [fr.from_user_id for fr in selectors.friend_requests_incoming(alice)] == [dave.pk]
    assert len(selectors.friend_requests_outgoing(alice)) == 1
    assert not selectors.are_friends(alice, dave)


# --- Views ---------------------------------------------------------------------

def test_friends_page_shows_requests_and_friends_with_since(client, alice, bob):
    carol, dave = Level1UserFactory(), Level1UserFactory()
    make_friends(alice, carol)
    incoming = services.friend_request_send(sender=bob, recipient=alice)
    outgoing = services.friend_request_send(sender=alice, recipient=dave)
    client.force_login(alice)
    response = client.get(reverse("social:friends"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("social:friend_request_accept", kwargs={"pk": incoming.pk}) in html
    assert reverse("social:friend_request_decline", kwargs={"pk": incoming.pk}) in html
    assert reverse("social:friend_request_cancel", kwargs={"pk": outgoing.pk}) in html
    assert reverse("social:friendship_remove", kwargs={"user_id": carol.pk}) in html
    assert "friends since" in html
    assert carol.profile.nickname in html and bob.profile.nickname in html and dave.profile.nickname in html
    assert "csrfmiddlewaretoken" in html


def test_send_from_profile_then_accept_through_the_pages(client, alice, bob):
    client.force_login(alice)
    response = client.post(reverse("social:friend_request_send", kwargs={"user_id": bob.pk}), follow=True)
    assert "Your friend request is sent." in response.content.decode()
    fr = FriendRequest.objects.get(from_user=alice, to_user=bob)

    client.force_login(bob)
    url = reverse("social:friend_request_accept", kwargs={"pk": fr.pk})
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # double submit is harmless
    assert Friendship.objects.count() == 1


def test_accept_decline_by_someone_else_is_404(client, alice, bob):
    fr = services.friend_request_send(sender=alice, recipient=bob)
    client.force_login(alice)
    assert client.post(reverse("social:friend_request_accept", kwargs={"pk": fr.pk})).status_code == 404
    assert client.post(reverse("social:friend_request_decline", kwargs={"pk": fr.pk})).status_code == 404
    client.force_login(Level1UserFactory())
    assert client.post(reverse("social:friend_request_cancel", kwargs={"pk": fr.pk})).status_code == 404
    fr.refresh_from_db()
    assert fr.status == FriendRequestStatus.PENDING


def test_decline_and_cancel_through_the_pages(client, alice, bob):
    declined = services.friend_request_send(sender=alice, recipient=bob)
    cancelled = services.friend_request_send(sender=bob, recipient=Level1UserFactory())
    client.force_login(bob)
    client.post(reverse("social:friend_request_decline", kwargs={"pk": declined.pk}))
    client.post(reverse("social:friend_request_cancel", kwargs={"pk": cancelled.pk}))
    declined.refresh_from_db()
    cancelled.refresh_from_db()
    assert declined.status == FriendRequestStatus.DECLINED
    assert cancelled.status == FriendRequestStatus.CANCELLED
    html = client.get(reverse("social:friends")).content.decode()
    assert "No requests waiting for you." in html and "No requests waiting for an answer." in html


def test_accepting_a_declined_request_shows_a_message(client, alice, bob):
    fr = services.friend_request_send(sender=alice, recipient=bob)
    services.friend_request_decline(request=fr, actor=bob)
    client.force_login(bob)
    response = client.post(reverse("social:friend_request_accept", kwargs={"pk": fr.pk}), follow=True)
    assert "This request is no longer pending." in response.content.decode()
    assert not Friendship.objects.exists()


def test_remove_friend_through_the_page(client, alice, bob):
    make_friends(alice, bob)
    client.force_login(alice)
    response = client.post(reverse("social:friendship_remove", kwargs={"user_id": bob.pk}), follow=True)
    assert "You are no longer friends." in response.content.decode()
    assert not Friendship.objects.exists()


def test_level0_user_sees_the_reason_and_cannot_send(client, user, bob):
    client.force_login(user)
    html = client.get(reverse("social:profile", kwargs={"ref": bob.pk})).content.decode()
    assert "You need to confirm a mobile number first (level 1)." in html
    assert reverse("accounts:phone") in html
    assert reverse("social:friend_request_send", kwargs={"user_id": bob.pk}) not in html
    response = client.post(reverse("social:friend_request_send", kwargs={"user_id": bob.pk}), follow=True)
    assert "You need to confirm a mobile number first (level 1)." in response.content.decode()
    assert not FriendRequest.objects.exists()
    html = client.get(reverse("social:friends")).content.decode()
    assert "You need to confirm a mobile number first (level 1)." in html


def test_friend_actions_are_post_only_and_need_csrf(alice, bob):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(alice)
    url = reverse("social:friend_request_send", kwargs={"user_id": bob.pk})
    assert csrf_client.get(url).status_code == 405
    assert csrf_client.post(url).status_code == 403
    assert not FriendRequest.objects.exists()


def test_friends_page_needs_login(client):
    response = client.get(reverse("social:friends"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
