"""Moments and comments under moderation: reports, take-downs behind a tombstone, appeals, closed accounts."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.tests.factories import Level1UserFactory
from moderation import ladder, reports, targets
from moderation.models import ReportCase, Rung
from social import services
from social.models import Comment, Moment

from .factories import CommentFactory, MomentFactory, make_friends
from .moderation_utils import appeal_upheld, fresh, make_moderator, penalise
from .utils import private_files

pytestmark = pytest.mark.django_db

TOMBSTONE = "This content was removed for breaking the rules"


@pytest.fixture
def moderator(db):
    return make_moderator("moderator")


@pytest.fixture
def judge(db):
    """A second moderator: appeals are judged by someone other than who acted."""
    return make_moderator("moderator")


@pytest.fixture
def senior(db):
    return make_moderator("moderator", "senior moderator")


@pytest.fixture
def senior_judge(db):
    """A second senior moderator: only a senior moderator judges an appeal against a closure."""
    return make_moderator("moderator", "senior moderator")


@pytest.fixture
def pictured_moment(friend_pair, processed_png):
    """A moment with one real picture (in private storage) by the first of a pair of friends."""
    author, _friend = friend_pair
    return services.moment_create(author=author, text="Buy cheap followers here", images=[processed_png])


def _image_urls(moment):
    return (reverse("social:moment_image", kwargs={"pk": moment.pk, "position": 1}),
            reverse("social:moment_image_thumb", kwargs={"pk": moment.pk, "position": 1}))


# --- The registered targets ------------------------------------------------------------------

def test_moments_and_comments_are_registered_targets(pictured_moment):
    moment_type, comment_type = targets.get("moment"), targets.get("comment")
    assert targets.for_object(pictured_moment) is moment_type
    assert moment_type.owner(pictured_moment) == pictured_moment.author
    assert moment_type.url(pictured_moment) == f"/moments/{pictured_moment.pk}/"
    image = pictured_moment.images.get()
    assert targets.safe_snapshot(moment_type, pictured_moment) == {
        "text": "Buy cheap followers here", "images": [image.image.name], "label": "Moment"}
    comment = CommentFactory(moment=pictured_moment, text="me too")
    assert targets.for_object(comment) is comment_type
    assert comment_type.owner(comment) == comment.author
    assert comment_type.url(comment) == f"/moments/{pictured_moment.pk}/#comment-{comment.pk}"
    assert targets.safe_snapshot(comment_type, comment)["text"] == "me too"
    assert moment_type.removable and comment_type.removable and moment_type.penalty_subject is None


def test_only_who_may_see_a_moment_may_report_it(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    comment = CommentFactory(moment=moment, author=friend)
    stranger = Level1UserFactory()
    moment_type, comment_type = targets.get("moment"), targets.get("comment")
    assert moment_type.visible_to(friend, moment) and not moment_type.visible_to(stranger, moment)
    assert comment_type.visible_to(author, comment) and not comment_type.visible_to(stranger, comment)
    client.force_login(stranger)
    assert client.get(f"/report/moment/{moment.pk}/").status_code == 404
    assert client.get(f"/report/comment/{comment.pk}/").status_code == 404
    client.force_login(friend)
    response = client.get(f"/report/moment/{moment.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Report: " in html and 'name="category"' in html and "Send the report" in html


def test_report_links_next_to_others_moments_and_comments_not_ones_own(client, friend_pair):
    author, friend = friend_pair
    mine = MomentFactory(author=friend)
    theirs = MomentFactory(author=author)
    their_comment = CommentFactory(moment=mine, author=author)
    my_comment = CommentFactory(moment=theirs, author=friend)
    client.force_login(friend)
    html = client.get("/").content.decode()
    assert f"/report/moment/{theirs.pk}/" in html and f"/report/comment/{their_comment.pk}/" in html
    assert f"/report/moment/{mine.pk}/" not in html and f"/report/comment/{my_comment.pk}/" not in html


def test_a_friend_reports_a_moment_through_the_page(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author, text="offensive")
    client.force_login(friend)
    response = client.post(f"/report/moment/{moment.pk}/", {"category": "harassment", "text": "rude"})
    assert response.status_code == 302
    case = ReportCase.objects.get()
    assert case.target_key == "moment" and case.owner == author and case.snapshot["text"] == "offensive"


# --- Take-down and appeal --------------------------------------------------------------------

def test_removal_shows_a_tombstone_to_everyone_and_stops_serving_the_pictures(client, friend_pair, pictured_moment,
                                                                             moderator):
    author, friend = friend_pair
    files_before = private_files()
    penalise(author, Rung.WARN, moderator=moderator, remove_content=pictured_moment)
    pictured_moment.refresh_from_db()
    assert pictured_moment.removed_at is not None
    # Hidden, not deleted: the row, its pictures and its files stay for an appeal.
    assert pictured_moment.images.count() == 1 and private_files() == files_before

    client.force_login(friend)
    for url in ("/", f"/moments/{pictured_moment.pk}/", f"/u/{author.pk}/"):
        html = client.get(url).content.decode()
        assert TOMBSTONE in html and "Buy cheap followers" not in html, url
        assert "/me/status/" not in html and f"/report/moment/{pictured_moment.pk}/" not in html
    for url in _image_urls(pictured_moment):
        assert client.get(url).status_code == 404
    # Nothing more can be said under it, and it is no longer reportable.
    client.post(reverse("social:comment_create", kwargs={"pk": pictured_moment.pk}), {"text": "lol"})
    assert not Comment.objects.exists()
    assert client.get(f"/report/moment/{pictured_moment.pk}/").status_code == 404

    client.force_login(author)
    html = client.get("/").content.decode()
    assert TOMBSTONE in html and "Buy cheap followers" not in html
    assert "/me/status/" in html  # where the author reads why, and appeals
    for url in _image_urls(pictured_moment):
        assert client.get(url).status_code == 404


def test_an_upheld_appeal_restores_exactly_that_penaltys_content(client, friend_pair, pictured_moment, moderator, judge):
    author, friend = friend_pair
    other = MomentFactory(author=author, text="another breach")
    before = Moment.objects.values().get(pk=pictured_moment.pk)
    first = penalise(author, Rung.WARN, moderator=moderator, remove_content=pictured_moment)
    penalise(author, Rung.WARN, moderator=moderator, remove_content=other)
    assert first.removed == {"key": "moment", "pk": pictured_moment.pk}

    appeal_upheld(first, judge=judge)

    assert Moment.objects.values().get(pk=pictured_moment.pk) == before  # text, dates, all of it
    assert Moment.objects.get(pk=other.pk).removed_at is not None  # the other penalty's content stays down
    client.force_login(friend)
    html = client.get("/").content.decode()
    assert "Buy cheap followers here" in html and "another breach" not in html
    for url in _image_urls(pictured_moment):
        assert client.get(url).status_code == 200


def test_a_restore_leaves_content_down_while_another_standing_penalty_removed_it(friend_pair, moderator, judge):
    author, _friend = friend_pair
    moment = MomentFactory(author=author)
    first = penalise(author, Rung.WARN, moderator=moderator, remove_content=moment)
    # A second action (the staff console, say) on the same moment.
    penalise(author, Rung.WARN, moderator=moderator, remove_content=moment)
    ladder.penalty_overturn(penalty=first, actor=judge)
    assert Moment.objects.get(pk=moment.pk).removed_at is not None


def test_comment_removal_and_restore(client, friend_pair, moderator, judge):
    author, friend = friend_pair
    moment = MomentFactory(author=author, text="a sunny day")
    comment = CommentFactory(moment=moment, author=friend, text="you idiot")
    penalty = penalise(friend, Rung.WARN, moderator=moderator, remove_content=comment)
    client.force_login(author)
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    assert TOMBSTONE in html and "you idiot" not in html and "a sunny day" in html
    assert f"/report/comment/{comment.pk}/" not in html
    client.force_login(friend)
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    assert TOMBSTONE in html and "/me/status/" in html
    appeal_upheld(penalty, judge=judge)
    assert "you idiot" in client.get(f"/moments/{moment.pk}/").content.decode()
    assert Comment.objects.get(pk=comment.pk).removed_at is None


# --- Closed accounts -------------------------------------------------------------------------

def test_a_closed_users_content_is_hidden_everywhere_and_comes_back_when_reopened(client, friend_pair, senior,
                                                                                 senior_judge):
    author, friend = friend_pair
    moment = MomentFactory(author=author, text="moment of the closed author")
    friends_moment = MomentFactory(author=friend, text="moment of the friend")
    CommentFactory(moment=friends_moment, author=author, text="comment of the closed author")
    closure = penalise(author, Rung.CLOSE, moderator=senior)

    client.force_login(friend)
    html = client.get("/").content.decode()
    assert "moment of the closed author" not in html and "comment of the closed author" not in html
    assert "moment of the friend" in html
    assert client.get(f"/moments/{moment.pk}/").status_code == 404
    assert client.get(f"/u/{author.pk}/").status_code == 404
    assert author not in client.get("/friends/").context["page"].object_list
    assert client.get(f"/report/moment/{moment.pk}/").status_code == 404

    appeal_upheld(closure, judge=senior_judge)
    html = client.get("/").content.decode()
    assert "moment of the closed author" in html and "comment of the closed author" in html
    assert client.get(f"/u/{author.pk}/").status_code == 200


def test_no_friend_request_to_or_from_a_closed_account(friend_pair, senior):
    _author, friend = friend_pair
    closed = Level1UserFactory()
    request = services.friend_request_send(sender=closed, recipient=friend)
    penalise(closed, Rung.CLOSE, moderator=senior)
    with pytest.raises(services.FriendError):
        services.friend_request_send(sender=friend, recipient=closed)
    with pytest.raises(services.FriendError):
        services.friend_request_accept(request=request, actor=friend)


def test_the_feed_costs_the_same_queries_with_closed_friends_and_removed_content(client, friend_pair, moderator,
                                                                                  senior):
    me, friend = friend_pair
    closed_friend = Level1UserFactory()
    make_friends(me, closed_friend)
    MomentFactory(author=friend)
    MomentFactory(author=closed_friend)
    client.force_login(me)
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    penalise(closed_friend, Rung.CLOSE, moderator=senior)
    for i in range(10):
        moment = MomentFactory(author=friend if i % 2 else closed_friend)
        CommentFactory(moment=moment, author=closed_friend if i % 3 else friend)
        if i % 4 == 0:
            penalise(moment.author, Rung.WARN, moderator=moderator, remove_content=moment)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/")
    assert response.status_code == 200
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


# --- Pages say why, and where to read more ---------------------------------------------------

def test_a_restricted_user_sees_the_reason_and_the_status_link_instead_of_the_forms(client, friend_pair, moderator):
    author, friend = friend_pair
    moment = MomentFactory(author=friend)
    penalise(author, Rung.RESTRICT, moderator=moderator)
    client.force_login(author)
    html = client.get("/").content.decode()
    assert "Your publishing is restricted until" in html and 'href="/me/status/"' in html
    assert 'id="id_text_count"' not in html
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    assert "Your publishing is restricted until" in html and 'href="/me/status/"' in html
    assert reverse("social:comment_create", kwargs={"pk": moment.pk}) not in html
    response = client.post("/", {"text": "let me post"}, follow=True)
    assert "Your publishing is restricted until" in response.content.decode()
    assert not Moment.objects.filter(author=author).exists()


def test_a_suspended_user_cannot_delete_and_is_told_why(client, friend_pair, moderator):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    comment = CommentFactory(moment=moment, author=author)
    penalise(author, Rung.SUSPEND, moderator=moderator)
    client.force_login(author)
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    assert "Your account is suspended until" in html and 'href="/me/status/"' in html
    assert reverse("social:moment_delete", kwargs={"pk": moment.pk}) not in html
    response = client.post(reverse("social:moment_delete", kwargs={"pk": moment.pk}), follow=True)
    assert "Your account is suspended until" in response.content.decode()
    response = client.post(reverse("social:comment_delete", kwargs={"pk": comment.pk}), follow=True)
    assert "Your account is suspended until" in response.content.decode()
    assert Moment.objects.filter(pk=moment.pk).exists() and Comment.objects.filter(pk=comment.pk).exists()


def test_a_suspended_user_sees_why_on_the_friends_and_profile_pages(client, friend_pair, moderator):
    author, friend = friend_pair
    penalise(author, Rung.SUSPEND, moderator=moderator)
    client.force_login(author)
    html = client.get("/friends/").content.decode()
    assert "Your account is suspended until" in html and 'href="/me/status/"' in html
    assert reverse("social:friendship_remove", kwargs={"user_id": friend.pk}) not in html
    html = client.get(f"/u/{friend.pk}/").content.decode()
    assert "Your account is suspended until" in html
    assert reverse("social:friendship_remove", kwargs={"user_id": friend.pk}) not in html
    response = client.post(reverse("social:friendship_remove", kwargs={"user_id": friend.pk}), follow=True)
    assert "Your account is suspended until" in response.content.decode()


# --- Every write path under every rung -------------------------------------------------------

def _post_moment(actor, ctx):
    services.moment_create(author=actor, text="new")


def _comment(actor, ctx):
    services.comment_create(moment=ctx["friends_moment"], author=actor, text="nice")


def _delete_own_moment(actor, ctx):
    services.moment_delete(moment=ctx["own_moment"], actor=actor)


def _delete_own_comment(actor, ctx):
    services.comment_delete(comment=ctx["own_comment"], actor=actor)


def _send_request(actor, ctx):
    services.friend_request_send(sender=actor, recipient=ctx["stranger"])


def _accept_request(actor, ctx):
    services.friend_request_accept(request=ctx["incoming"], actor=actor)


def _decline_request(actor, ctx):
    services.friend_request_decline(request=ctx["incoming"], actor=actor)


def _cancel_request(actor, ctx):
    services.friend_request_cancel(request=ctx["outgoing"], actor=actor)


def _remove_friend(actor, ctx):
    services.friendship_remove(actor=actor, other=ctx["friend"])


def _edit_profile(actor, ctx):
    from accounts.services import profile_update

    profile_update(user=actor, nickname="New name", bio="new bio")


def _report(actor, ctx):
    reports.report_create(reporter=actor, target_key="moment", obj=ctx["friends_moment"], category="other")


W, R, S, C = Rung.WARN, Rung.RESTRICT, Rung.SUSPEND, Rung.CLOSE
# (write path, the rungs that refuse it): DOMAIN.md §4 and moderation.restrictions.
# Warn: nothing is taken away. Restrict: no new moments, comments or articles. Suspend: nothing new and nothing edited (posts,
# profile, friends). Close: nothing at all. Reporting stays open until the account is closed.
WRITE_PATHS = [
    (_post_moment, {R, S, C}),
    (_comment, {R, S, C}),
    (_delete_own_moment, {S, C}),
    (_delete_own_comment, {S, C}),
    (_send_request, {S, C}),
    (_accept_request, {S, C}),
    (_decline_request, {S, C}),
    (_cancel_request, {S, C}),
    (_remove_friend, {S, C}),
    (_edit_profile, {S, C}),
    (_report, {C}),
]


@pytest.fixture
def scene(friend_pair):
    """The actor, a friend with a moment, the actor's own moment and comment, requests both ways."""
    actor, friend = friend_pair
    own_moment = MomentFactory(author=actor)
    return {
        "actor": actor, "friend": friend, "stranger": Level1UserFactory(),
        "friends_moment": MomentFactory(author=friend), "own_moment": own_moment,
        "own_comment": CommentFactory(moment=own_moment, author=actor),
        "incoming": services.friend_request_send(sender=Level1UserFactory(), recipient=actor),
        "outgoing": services.friend_request_send(sender=actor, recipient=Level1UserFactory()),
    }


@pytest.mark.parametrize("rung", [W, R, S, C], ids=["warn", "restrict", "suspend", "close"])
@pytest.mark.parametrize(("path", "refused_by"), WRITE_PATHS, ids=[p.__name__.strip("_") for p, _r in WRITE_PATHS])
def test_every_write_path_under_every_rung(scene, senior, rung, path, refused_by):
    actor = scene["actor"]
    penalise(actor, rung, moderator=senior)
    actor = fresh(actor)
    if rung in refused_by:
        with pytest.raises(policy.PolicyDenied) as refused:
            path(actor, scene)
        assert refused.value.decision.unlock_url in ("/me/status/", "/me/closed/")
    else:
        path(actor, scene)


@pytest.mark.parametrize(("path", "refused_by"), WRITE_PATHS[:1] + WRITE_PATHS[4:5],
                         ids=["post_moment", "send_request"])
def test_a_timed_penalty_ends_by_itself(scene, moderator, path, refused_by):
    actor = scene["actor"]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        penalise(actor, Rung.SUSPEND, moderator=moderator, days=7)
        with pytest.raises(policy.PolicyDenied):
            path(fresh(actor), scene)
        traveller.shift(timedelta(days=7, minutes=1))
        path(fresh(actor), scene)  # no task ran: the check compares with now



def test_the_staff_console_shows_a_take_down_but_cannot_undo_it(client, friend_pair, moderator):
    from conftest import mfa_login

    author, friend = friend_pair
    moment = MomentFactory(author=author)
    comment = CommentFactory(moment=moment, author=friend)
    penalise(author, Rung.WARN, moderator=moderator, remove_content=moment)
    admin = make_moderator("moderator")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    mfa_login(client, admin)
    for url in (f"/admin/social/moment/{moment.pk}/change/", f"/admin/social/comment/{comment.pk}/change/",
                "/admin/social/moment/?removed_at__isempty=0"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert b'name="removed_at"' not in client.get(f"/admin/social/comment/{comment.pk}/change/").content
