"""Leaving the network: ask with the password, the cooling-off period (hidden, cancel on login), the erasure."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import deletion, erasure, policy
from accounts.models import (
    ERASED_EMAIL_DOMAIN,
    AgreementAcceptance,
    DeletionRequest,
    DeletionStatus,
    DeletionTransitionError,
    IdentityStatus,
    Notification,
    PhoneNumber,
    Profile,
    RealIdentity,
    User,
)
from accounts.notifications import notify
from accounts.policy import Action
from accounts.selectors import hidden_user_ids
from accounts.services import identity_confirm, identity_store
from accounts.tasks import erase_deleted_accounts
from accounts.tests.factories import PASSWORD, Level1UserFactory, Level2UserFactory
from moderation import ladder
from moderation.models import Penalty, Rule, Rung, Strike
from moderation.selectors import closed_user_ids
from social.models import Comment, Moment
from social.tests.factories import CommentFactory, MomentFactory

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"


def _closed_ids() -> set[int]:
    return set(User.objects.filter(pk__in=closed_user_ids()).values_list("pk", flat=True))


def _ask(client, password=PASSWORD, confirm="on"):
    return client.post(reverse("accounts:delete"), {"password": password, "confirm": confirm})


@pytest.fixture
def member(db):
    return Level1UserFactory(language="en")


@pytest.fixture
def member_client(client, member):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(member)
    return client


# --- Asking ----------------------------------------------------------------------------------

def test_the_page_explains_what_happens_and_asks_for_the_password(member_client):
    response = member_client.get("/me/delete/")
    assert response.status_code == 200
    html = response.content.decode()
    erase_on = (timezone.localtime() + timedelta(days=60)).strftime("%Y-%m-%d")
    for text in ("hidden at once", "60 days to change your mind", f"What is erased on {erase_on}",
                 "cannot be undone", "keyed fingerprint", "penalties and strikes", 'type="password"',
                 'name="csrfmiddlewaretoken"'):
        assert text in html, text
    assert reverse("accounts:delete") in member_client.get("/me/").content.decode()


def test_the_page_renders_in_chinese_too(member_client):
    response = member_client.get("/me/delete/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and '<html lang="zh-hans">' in response.content.decode()


def test_a_wrong_password_keeps_the_form_and_refuses(member_client, member):
    response = _ask(member_client, password="not-my-password")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This password is not right." in html
    # What was ticked stays ticked; the password is never sent back.
    assert 'name="confirm" required id="id_confirm" checked' in html
    assert "not-my-password" not in html
    assert not DeletionRequest.objects.exists()
    assert member_client.get("/me/").status_code == 200  # still logged in, nothing happened


def test_the_confirmation_box_is_required(member_client):
    response = _ask(member_client, confirm="")
    assert response.status_code == 400 and "Tick the box to confirm." in response.content.decode()
    assert not DeletionRequest.objects.exists()


def test_asking_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert _ask(client).status_code == 403
    assert not DeletionRequest.objects.exists()


def test_password_guesses_are_rate_limited(member_client):
    for _ in range(10):
        _ask(member_client, password="guess")
    response = _ask(member_client)
    assert response.status_code == 400 and "Too many attempts" in response.content.decode()
    assert not DeletionRequest.objects.exists()


def test_the_right_password_starts_the_cooling_off_period(member_client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(member_client)
    assert response.status_code == 302 and response["Location"] == "/"
    request = DeletionRequest.objects.get(user=member)
    assert request.status == DeletionStatus.COOLING and request.cancelled_at is None and request.erased_at is None
    assert abs(request.erase_after - request.requested_at - timedelta(days=settings.ACCOUNT_DELETION_COOLING_DAYS)) \
        < timedelta(seconds=1)
    # Logged out, and told when and how to cancel.
    assert member_client.get("/me/")["Location"].startswith(reverse("account_login"))
    notice = Notification.objects.get(user=member, kind="account.deletion_requested")
    assert request.erase_after.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in notice.body
    # Hidden: the one exclusion other apps use covers it.
    assert member.pk in _closed_ids() and member.pk in set(hidden_user_ids().values_list("user_id", flat=True))


def test_a_double_submit_starts_one_request(member):
    first = deletion.deletion_start(user=member)
    assert deletion.deletion_start(user=member).pk == first.pk
    assert DeletionRequest.objects.count() == 1


def test_the_state_machine_refuses_undeclared_edges(member):
    request = deletion.deletion_start(user=member)
    request.transition(to=DeletionStatus.ERASED)
    with pytest.raises(DeletionTransitionError):
        request.transition(to=DeletionStatus.CANCELLED)
    with pytest.raises(DeletionTransitionError):
        DeletionRequest(status=DeletionStatus.CANCELLED).transition(to=DeletionStatus.COOLING)


# --- The cooling-off period ------------------------------------------------------------------

def test_cooling_off_hides_the_profile_and_the_content(member):
    friend = Level1UserFactory()
    moment = MomentFactory(author=member)
    CommentFactory(moment=MomentFactory(author=friend), author=member)
    CommentFactory(moment=moment, author=friend)
    deletion.deletion_start(user=member)
    closed = closed_user_ids()
    assert not User.objects.filter(pk=member.pk).exclude(pk__in=closed).exists()
    assert User.objects.filter(pk=friend.pk).exclude(pk__in=closed).exists()
    assert not Moment.objects.filter(author=member).exclude(author_id__in=closed).exists()
    assert not Comment.objects.filter(author=member).exclude(author_id__in=closed).exists()
    assert Comment.objects.filter(author=friend).exclude(author_id__in=closed).count() == 1
    # Nothing is erased yet: cancelling brings it all back.
    assert Moment.objects.filter(author=member).count() == 1 and Comment.objects.filter(author=member).count() == 1


def test_cooling_off_refuses_every_action_and_points_to_the_cancel_page(member):
    deletion.deletion_start(user=member)
    member = User.objects.get(pk=member.pk)
    for action in Action:
        decision = policy.check(member, action)
        assert not decision and decision.unlock_url == "/me/delete/cancel/"
    assert "waiting to be deleted" in decision.reason


def test_logging_in_during_cooling_off_offers_to_cancel_or_log_out(client, member):
    deletion.deletion_start(user=member)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/me/delete/cancel/"
    html = response.content.decode()
    assert "Your account is waiting to be deleted" in html and "Cancel the deletion" in html
    assert reverse("account_logout") in html
    # Nothing else of the site: no navigation, and every other page sends back here.
    assert 'class="nav"' not in html
    for path in ("/", "/me/", "/friends/", "/me/delete/", "/verify/", "/notifications/"):
        page = client.get(path)
        assert page.status_code == 302 and page["Location"] == "/me/delete/cancel/", path
    assert client.post("/", {"text": "still here"})["Location"] == "/me/delete/cancel/"
    assert not Moment.objects.filter(author=member).exists()
    assert client.post(reverse("account_logout")).status_code == 302


def test_cancelling_restores_the_account(member_client, member):
    moment = MomentFactory(author=member)
    deletion.deletion_start(user=member)
    response = member_client.post("/me/delete/cancel/")
    assert response.status_code == 302 and response["Location"] == "/"
    request = DeletionRequest.objects.get(user=member)
    assert request.status == DeletionStatus.CANCELLED and request.cancelled_at is not None
    assert member.pk not in _closed_ids()
    assert Moment.objects.exclude(author_id__in=closed_user_ids()).filter(pk=moment.pk).exists()
    assert policy.check(User.objects.get(pk=member.pk), Action.POST_MOMENT)
    home = member_client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert moment.text in html and 'name="text"' in html, "the moment is back and posting is open again"
    assert "waiting to be deleted" not in html
    assert Notification.objects.filter(user=member, kind="account.deletion_cancelled").exists()
    # Nothing to cancel any more: the page sends to the profile; a second POST changes nothing.
    assert member_client.get("/me/delete/cancel/")["Location"] == reverse("accounts:me")
    assert deletion.deletion_cancel(user=member).pk == request.pk
    # And the user may ask again later.
    assert deletion.deletion_start(user=member).pk != request.pk


def test_the_task_does_nothing_with_a_cancelled_request(member):
    deletion.deletion_start(user=member)
    deletion.deletion_cancel(user=member)
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        assert erase_deleted_accounts() == 0
    member.refresh_from_db()
    assert member.is_active and not member.is_erased


def test_once_the_period_is_over_it_is_too_late_to_cancel(member_client, member):
    deletion.deletion_start(user=member)
    with time_machine.travel(timezone.now() + timedelta(days=60, minutes=1)):
        member_client.force_login(member)  # the old session expired meanwhile
        html = member_client.get("/me/delete/cancel/").content.decode()
        assert "too late to cancel" in html and 'action="/me/delete/cancel/"' not in html
        with pytest.raises(deletion.DeletionError):
            deletion.deletion_cancel(user=member)
        assert DeletionRequest.objects.get(user=member).status == DeletionStatus.COOLING


# --- The erasure -----------------------------------------------------------------------------

@pytest.fixture
def full_account(db, settings, tmp_path):
    """A level-2 member with everything erasure touches: profile and avatar, phone, identity, record, notices."""
    settings.MEDIA_ROOT = tmp_path / "media"
    user = Level2UserFactory(language="en")
    profile = user.profile
    profile.nickname, profile.bio, profile.handle = "Blue Sky", "I like hiking.", "bluesky"
    profile.avatar.save("a.png", ContentFile(b"\x89PNG fake"), save=False)
    profile.save()
    identity = identity_confirm(identity=identity_store(user=user, real_name="张三", document_type="resident_id",
                                                        document_number=NUMBER))
    AgreementAcceptance.objects.filter(user=user).update(ip_address="203.0.113.7", user_agent="pytest-browser")
    moderator = Level2UserFactory()
    moderator.groups.add(Group.objects.get_or_create(name="moderator")[0])
    penalty = ladder.penalty_apply(target_user=user, action=Rung.WARN, rule=Rule.COMMUNITY, reason="Spam links",
                                   moderator=moderator)
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return {"user": user, "identity": identity, "penalty": penalty, "avatar": profile.avatar.name}


def test_erasure_happens_once_after_the_cooling_off_period(full_account, django_capture_on_commit_callbacks):
    user, identity = full_account["user"], full_account["identity"]
    calls = []

    def throwaway_eraser(*, user):
        calls.append(user.pk)
        assert user.is_active  # the apps' erasers run while the account still looks as it did

    erasure.register(throwaway_eraser)
    erasure.register(throwaway_eraser)  # twice is once
    try:
        request = deletion.deletion_start(user=user)
        with time_machine.travel(timezone.now() + timedelta(days=59)):
            assert erase_deleted_accounts() == 0
        assert calls == []
        with time_machine.travel(request.erase_after + timedelta(minutes=1)):
            with django_capture_on_commit_callbacks(execute=True):  # the avatar file goes after commit
                assert erase_deleted_accounts() == 1
            assert erase_deleted_accounts() == 0  # idempotent: a second run changes nothing
            assert deletion.deletion_erase(deletion_request_id=request.pk) is False
    finally:
        erasure.unregister(throwaway_eraser)
    assert calls == [user.pk]
    assert throwaway_eraser not in erasure.erasers()

    request.refresh_from_db()
    assert request.status == DeletionStatus.ERASED and request.erased_at is not None
    user = User.objects.get(pk=user.pk)
    profile = Profile.objects.get(user=user)

    # Gone: the public face, the phone, the email and the way in, the identity's name and number.
    assert profile.nickname == "Deleted user" and profile.bio == "" and profile.handle is None and not profile.avatar
    assert not profile.avatar.storage.exists(full_account["avatar"])
    assert str(user.display_name) == "Deleted user" and user.is_erased
    assert not PhoneNumber.objects.filter(user=user).exists()
    assert user.email == f"user-{user.pk}@{ERASED_EMAIL_DOMAIN}"
    assert not user.is_active and not user.has_usable_password()
    assert not user.groups.exists() and not user.is_staff
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    kept = RealIdentity.objects.get(pk=identity.pk)
    assert kept.real_name == "" and kept.document_number == "" and kept.status == IdentityStatus.REVOKED
    acceptance = AgreementAcceptance.objects.get(user=user)
    assert acceptance.ip_address is None and acceptance.user_agent == ""

    # Kept: the identity's keyed hash, the penalty and its strike, the acceptance of the agreement, the request.
    assert kept.fingerprint == identity.fingerprint
    assert Penalty.objects.get(pk=full_account["penalty"].pk).user_id == user.pk
    assert Strike.objects.get(penalty=full_account["penalty"]).user_id == user.pk
    assert acceptance.version_id is not None
    # Still hidden for good, and no login with the old address.
    assert user.pk in _closed_ids()
    assert not Client().login(email=full_account["user"].email, password=PASSWORD)


def test_the_old_address_may_sign_up_again_after_erasure(full_account):
    old_email = full_account["user"].email
    request = deletion.deletion_start(user=full_account["user"])
    deletion.deletion_erase(deletion_request_id=request.pk, now=request.erase_after)
    again = Level1UserFactory(email=old_email)
    assert again.pk != full_account["user"].pk


def test_a_failing_eraser_rolls_back_its_account_and_spares_the_others(full_account):
    broken_user = full_account["user"]
    other = Level1UserFactory()

    def fragile_eraser(*, user):
        if user.pk == broken_user.pk:
            raise RuntimeError("storage down")

    first = deletion.deletion_start(user=broken_user)
    second = deletion.deletion_start(user=other)
    erasure.register(fragile_eraser)
    try:
        with time_machine.travel(max(first.erase_after, second.erase_after) + timedelta(minutes=1)):
            assert erase_deleted_accounts() == 1
    finally:
        erasure.unregister(fragile_eraser)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DeletionStatus.COOLING and second.status == DeletionStatus.ERASED
    broken_user.refresh_from_db()
    assert broken_user.is_active and Profile.objects.get(user=broken_user).nickname == "Blue Sky"
    # The next run tries again.
    with time_machine.travel(first.erase_after + timedelta(hours=1)):
        assert erase_deleted_accounts() == 1


def test_an_erased_account_is_never_emailed(full_account, django_capture_on_commit_callbacks):
    request = deletion.deletion_start(user=full_account["user"])
    deletion.deletion_erase(deletion_request_id=request.pk, now=request.erase_after)
    user = User.objects.get(pk=full_account["user"].pk)
    assert notify(user=user, kind="test", title="Hello").email is False


def test_the_erasure_task_is_on_the_beat_schedule():
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["erase-deleted-accounts"]
    assert entry["task"] == "accounts.tasks.erase_deleted_accounts"
    assert entry["task"] in app.tasks


def test_staff_see_deletion_requests_read_only(staff_client, member):
    request = deletion.deletion_start(user=member)
    listing = staff_client.get("/admin/accounts/deletionrequest/")
    assert listing.status_code == 200
    assert f"/admin/accounts/deletionrequest/{request.pk}/change/" in listing.content.decode()
    page = staff_client.get(f"/admin/accounts/deletionrequest/{request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    # Read-only: the values are shown, no field is editable, nothing can be saved or added.
    assert "Cooling" in html or "cooling" in html
    assert 'name="status"' not in html and 'name="_save"' not in html
    assert "/admin/accounts/deletionrequest/add/" not in listing.content.decode()
    assert staff_client.post(f"/admin/accounts/deletionrequest/{request.pk}/delete/").status_code == 403
