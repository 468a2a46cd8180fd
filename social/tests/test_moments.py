import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Notification
from accounts.policy import PolicyDenied
from accounts.tests.factories import Level1UserFactory, UserFactory
from social import selectors, services
from social.models import Comment, Moment, MomentImage

from .factories import CommentFactory, MomentFactory, MomentImageFactory, make_friends
from .utils import private_files, upload

pytestmark = pytest.mark.django_db


# --- Services ----------------------------------------------------------------

def test_create_text_only(level1_user):
    moment = services.moment_create(author=level1_user, text="  hello  ", images=[])
    assert moment.text == "hello"
    assert moment.images.count() == 0


def test_create_with_images_stores_random_names_in_private_storage(level1_user, processed_png):
    before = private_files()
    moment = services.moment_create(author=level1_user, text="", images=[processed_png, processed_png])
    items = list(moment.images.order_by("position"))
    assert [i.position for i in items] == [1, 2]
    new = private_files() - before
    assert len(new) == 4
    for item in items:
        assert item.image.name in new and item.thumbnail.name in new
        assert item.image.name.startswith("moments/") and item.image.name.endswith(processed_png.extension)
        assert "image" not in item.image.name.rsplit("/", 1)[-1]
        assert item.image.url.startswith("/no-public-url/")
        assert item.content_type == processed_png.content_type
        with item.image.open("rb") as fh:
            assert fh.read() == processed_png.content
    assert len({i.image.name for i in items}) == 2


def test_create_needs_text_or_an_image(level1_user):
    with pytest.raises(ValidationError):
        services.moment_create(author=level1_user, text="   ", images=[])
    assert not Moment.objects.exists()


def test_create_refuses_too_long_text(level1_user, settings):
    with pytest.raises(ValidationError):
        services.moment_create(author=level1_user, text="x" * (settings.MOMENT_MAX_CHARS + 1), images=[])


def test_create_allows_nine_images_and_refuses_ten(level1_user, processed_png):
    moment = services.moment_create(author=level1_user, text="nine", images=[processed_png] * 9)
    assert moment.images.count() == 9
    before = private_files()
    with pytest.raises(ValidationError):
        services.moment_create(author=level1_user, text="ten", images=[processed_png] * 10)
    assert Moment.objects.count() == 1
    assert private_files() == before


def test_level0_cannot_post(user):
    with pytest.raises(PolicyDenied) as exc:
        services.moment_create(author=user, text="hi", images=[])
    assert "mobile number" in exc.value.decision.reason
    assert not Moment.objects.exists()


def test_delete_by_author_removes_files_on_commit(level1_user, processed_png, django_capture_on_commit_callbacks):
    moment = services.moment_create(author=level1_user, text="", images=[processed_png])
    item = moment.images.get()
    names = {item.image.name, item.thumbnail.name}
    assert names <= private_files()
    with django_capture_on_commit_callbacks(execute=True):
        services.moment_delete(moment=moment, actor=level1_user)
    services.moment_delete(moment=moment, actor=level1_user)  # double submit is harmless
    assert not Moment.objects.exists() and not MomentImage.objects.exists()
    assert not names & private_files()


def test_files_go_when_the_author_account_is_deleted(level1_user, processed_png, django_capture_on_commit_callbacks):
    moment = services.moment_create(author=level1_user, text="", images=[processed_png])
    item = moment.images.get()
    names = {item.image.name, item.thumbnail.name}
    with django_capture_on_commit_callbacks(execute=True):
        level1_user.delete()
    assert not MomentImage.objects.exists()
    assert not names & private_files()


def test_delete_by_someone_else_is_refused(friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    with pytest.raises(PermissionDenied):
        services.moment_delete(moment=moment, actor=friend)
    assert Moment.objects.filter(pk=moment.pk).exists()


def test_author_and_friends_may_comment_and_the_author_is_told(friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    services.comment_create(moment=moment, author=author, text="mine")
    comment = services.comment_create(moment=moment, author=friend, text="  nice  ")
    assert comment.text == "nice"
    note = Notification.objects.get(user=author, kind="moment.comment")
    assert note.url == reverse("social:moment", kwargs={"pk": moment.pk})
    assert not Notification.objects.filter(user=friend).exists()


def test_strangers_may_not_comment(level1_user):
    moment = MomentFactory()
    with pytest.raises(PermissionDenied):
        services.comment_create(moment=moment, author=level1_user, text="hello")
    assert not Comment.objects.exists()


def test_level0_friend_may_not_comment():
    author, newcomer = Level1UserFactory(), UserFactory()
    make_friends(author, newcomer)
    with pytest.raises(PolicyDenied):
        services.comment_create(moment=MomentFactory(author=author), author=newcomer, text="hello")


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_comment_text_is_checked(friend_pair, text):
    author, friend = friend_pair
    with pytest.raises(ValidationError):
        services.comment_create(moment=MomentFactory(author=author), author=friend, text=text)


def test_comment_delete_by_comment_or_moment_author_only(friend_pair):
    author, friend = friend_pair
    third = Level1UserFactory()
    make_friends(author, third)
    moment = MomentFactory(author=author)
    by_friend = CommentFactory(moment=moment, author=friend)
    other = CommentFactory(moment=moment, author=friend)
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=by_friend, actor=third)
    services.comment_delete(comment=by_friend, actor=friend)
    services.comment_delete(comment=by_friend, actor=friend)  # already gone: harmless
    services.comment_delete(comment=other, actor=author)
    assert not Comment.objects.exists()


def test_visibility_follows_friendship_and_account_state(friend_pair):
    author, friend = friend_pair
    stranger = Level1UserFactory()
    moment = MomentFactory(author=author)
    assert selectors.moment_visible(viewer=author, pk=moment.pk)
    assert selectors.moment_visible(viewer=friend, pk=moment.pk)
    assert selectors.moment_visible(viewer=stranger, pk=moment.pk) is None
    services.friendship_remove(actor=friend, other=author)
    assert selectors.moment_visible(viewer=friend, pk=moment.pk) is None
    make_friends(author, friend)
    author.is_active = False
    author.save(update_fields=["is_active"])
    assert selectors.moment_visible(viewer=friend, pk=moment.pk) is None


# --- Views -------------------------------------------------------------------

def test_detail_visible_to_author_and_friends_only(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author, text="for friends only")
    url = reverse("social:moment", kwargs={"pk": moment.pk})
    for viewer in (author, friend):
        client.force_login(viewer)
        response = client.get(url)
        assert response.status_code == 200 and "for friends only" in response.content.decode()
    client.force_login(Level1UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(reverse("social:moment", kwargs={"pk": moment.pk + 1000})).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_detail_shows_delete_buttons_to_the_author_only(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    comment = CommentFactory(moment=moment, author=author)
    client.force_login(author)
    html = client.get(reverse("social:moment", kwargs={"pk": moment.pk})).content.decode()
    assert reverse("social:moment_delete", kwargs={"pk": moment.pk}) in html
    assert reverse("social:comment_delete", kwargs={"pk": comment.pk}) in html
    client.force_login(friend)
    html = client.get(reverse("social:moment", kwargs={"pk": moment.pk})).content.decode()
    assert reverse("social:moment_delete", kwargs={"pk": moment.pk}) not in html
    assert reverse("social:comment_delete", kwargs={"pk": comment.pk}) not in html


def test_images_are_served_only_to_those_who_see_the_moment(client, friend_pair, processed_png):
    author, friend = friend_pair
    moment = services.moment_create(author=author, text="", images=[processed_png])
    full = reverse("social:moment_image", kwargs={"pk": moment.pk, "position": 1})
    thumb = reverse("social:moment_image_thumb", kwargs={"pk": moment.pk, "position": 1})
    for viewer in (author, friend):
        client.force_login(viewer)
        response = client.get(full)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == processed_png.content
        assert response["Content-Type"] == processed_png.content_type
        assert "private" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        response = client.get(thumb)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == processed_png.thumbnail
    client.force_login(Level1UserFactory())
    assert client.get(full).status_code == 404
    assert client.get(thumb).status_code == 404
    client.force_login(author)
    assert client.get(reverse("social:moment_image", kwargs={"pk": moment.pk, "position": 2})).status_code == 404
    client.logout()
    assert client.get(full).status_code == 404
    assert client.get(thumb).status_code == 404


def test_delete_through_the_page(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    url = reverse("social:moment_delete", kwargs={"pk": moment.pk})
    client.force_login(friend)
    assert client.post(url).status_code == 404
    client.force_login(author)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain and "Your moment is deleted." in response.content.decode()
    assert moment.text not in response.content.decode()
    assert client.post(url).status_code == 404  # second click: it is gone
    assert not Moment.objects.exists()


def test_comment_through_the_page(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    client.force_login(friend)
    response = client.post(reverse("social:comment_create", kwargs={"pk": moment.pk}),
                           {"text": "well said", "next": "/"})
    assert response.status_code == 302 and response["Location"] == f"/#moment-{moment.pk}"
    assert Comment.objects.get().author == friend


def test_comment_by_a_stranger_is_404(client):
    moment = MomentFactory()
    client.force_login(Level1UserFactory())
    response = client.post(reverse("social:comment_create", kwargs={"pk": moment.pk}), {"text": "hi"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_a_refused_comment_keeps_its_text(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    client.force_login(friend)
    long_text = "y" * 501
    response = client.post(reverse("social:comment_create", kwargs={"pk": moment.pk}), {"text": long_text})
    assert response.status_code == 200
    html = response.content.decode()
    assert long_text in html and 'class="error"' in html
    assert not Comment.objects.exists()


def test_comment_delete_through_the_page(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=author)
    comment = CommentFactory(moment=moment, author=friend)
    url = reverse("social:comment_delete", kwargs={"pk": comment.pk})
    client.force_login(Level1UserFactory())
    assert client.post(url).status_code == 404
    client.force_login(author)
    response = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain and "The comment is deleted." in response.content.decode()
    assert not Comment.objects.exists()


def test_level0_friend_sees_no_comment_form(client):
    author, newcomer = Level1UserFactory(), UserFactory()
    make_friends(author, newcomer)
    moment = MomentFactory(author=author)
    client.force_login(newcomer)
    html = client.get(reverse("social:moment", kwargs={"pk": moment.pk})).content.decode()
    assert reverse("social:comment_create", kwargs={"pk": moment.pk}) not in html


def test_image_rows_without_files_give_404_not_500(client, level1_user):
    item = MomentImageFactory(moment=MomentFactory(author=level1_user), position=1)
    client.force_login(level1_user)
    assert client.get(reverse("social:moment_image", kwargs={"pk": item.moment_id, "position": 1})).status_code == 404


def test_upload_names_never_reach_storage(client, level1_user):
    client.force_login(level1_user)
    before = private_files()
    client.post(reverse("social:home"), {"text": "", "images": [upload("id-back-plain.png", "../../evil name.png")]})
    new = private_files() - before
    assert len(new) == 2
    assert not any("evil" in name or ".." in name for name in new)
