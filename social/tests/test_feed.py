import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import Level1UserFactory
from social.models import Moment, MomentImage

from .factories import CommentFactory, MomentFactory, MomentImageFactory, make_friends
from .utils import private_files, upload

pytestmark = pytest.mark.django_db

HOME = "/"


def test_home_url_is_stable():
    assert reverse("social:home") == HOME
    assert reverse("social:friends") == "/friends/"
    assert reverse("social:profile", kwargs={"ref": "abc"}) == "/u/abc/"


def test_logged_out_home_is_the_landing_page(client):
    response = client.get(HOME)
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("account_signup") in html and reverse("account_login") in html
    assert "Phone verified" in html and "Identity verified" in html


def test_logged_in_home_has_the_moment_form(client, level1_user, settings):
    client.force_login(level1_user)
    html = client.get(HOME).content.decode()
    assert 'id="id_text_count"' in html
    assert f'maxlength="{settings.MOMENT_MAX_CHARS}"' in html
    assert re.search(r'<input[^>]*type="file"[^>]*name="images"[^>]*multiple', html)
    assert 'enctype="multipart/form-data"' in html


def test_level0_sees_the_reason_instead_of_the_form(client, user):
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert "You need to confirm a mobile number first (level 1)." in html
    assert reverse("accounts:phone") in html
    assert 'id="id_text_count"' not in html
    response = client.post(HOME, {"text": "let me in"}, follow=True)
    assert "You need to confirm a mobile number first (level 1)." in response.content.decode()
    assert not Moment.objects.exists()


def test_post_text_moment(client, level1_user):
    client.force_login(level1_user)
    response = client.post(HOME, {"text": "Hello friends"})
    assert response.status_code == 302
    assert Moment.objects.get().text == "Hello friends"
    assert "Hello friends" in client.get(HOME).content.decode()


def test_post_moment_with_an_accepted_image(client, level1_user):
    client.force_login(level1_user)
    response = client.post(HOME, {"text": "a picture", "images": [upload("id-back-plain.png")]})
    assert response.status_code == 302
    moment = Moment.objects.get()
    assert moment.images.count() == 1
    html = client.get(HOME).content.decode()
    assert reverse("social:moment_image_thumb", kwargs={"pk": moment.pk, "position": 1}) in html
    assert reverse("social:moment_image", kwargs={"pk": moment.pk, "position": 1}) in html


def test_empty_post_is_refused(client, level1_user):
    client.force_login(level1_user)
    response = client.post(HOME, {"text": "   "})
    assert response.status_code == 200
    assert "Write something or add at least one picture." in response.content.decode()
    assert not Moment.objects.exists()


def test_hostile_upload_shows_which_file_keeps_the_text_and_stores_nothing(client, level1_user):
    client.force_login(level1_user)
    before = private_files()
    response = client.post(HOME, {
        "text": "My holiday <3",
        "images": [upload("id-back-plain.png"), upload("not-an-image.jpg")],
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert "Picture 2 (not-an-image.jpg)" in html
    assert "This file is not an image we accept." in html
    assert "My holiday &lt;3" in html  # the typed text is back in the textarea
    assert not Moment.objects.exists() and not MomentImage.objects.exists()
    assert private_files() == before


@pytest.mark.parametrize("name", ["script.png", "truncated.jpg", "empty.jpg", "tiny.png", "animated.gif"])
def test_other_refused_uploads_are_form_errors(client, level1_user, name):
    client.force_login(level1_user)
    response = client.post(HOME, {"text": "x", "images": [upload(name)]})
    assert response.status_code == 200
    assert f"Picture 1 ({name})" in response.content.decode()
    assert not Moment.objects.exists()


def test_ten_images_are_refused_nine_accepted(client, level1_user):
    client.force_login(level1_user)
    response = client.post(HOME, {"text": "ten", "images": [upload("id-back-plain.png") for _ in range(10)]})
    assert response.status_code == 200
    assert "You can add at most 9 pictures; you chose 10." in response.content.decode()
    assert not Moment.objects.exists()
    response = client.post(HOME, {"text": "nine", "images": [upload("id-back-plain.png") for _ in range(9)]})
    assert response.status_code == 302
    assert Moment.objects.get().images.count() == 9


def test_feed_shows_own_and_friends_moments_newest_first_not_strangers(client, friend_pair):
    me, friend = friend_pair
    stranger = Level1UserFactory()
    MomentFactory(author=me, text="mine-old")
    MomentFactory(author=friend, text="friend-new")
    MomentFactory(author=stranger, text="stranger-secret")
    client.force_login(me)
    html = client.get(HOME).content.decode()
    assert "stranger-secret" not in html
    assert html.index("friend-new") < html.index("mine-old")
    assert friend.profile.nickname in html
    assert 'class="level-badge level-1"' in html


def test_feed_is_paginated(client, level1_user, settings):
    settings.FEED_PAGE_SIZE = 20
    for n in range(25):
        MomentFactory(author=level1_user, text=f"moment-{n:02d}-end")
    client.force_login(level1_user)
    page1 = client.get(HOME).content.decode()
    page2 = client.get(HOME, {"page": 2}).content.decode()
    assert len(re.findall(r"moment-\d\d-end", page1)) == 20
    assert len(re.findall(r"moment-\d\d-end", page2)) == 5
    assert "moment-24-end" in page1 and "moment-00-end" in page2
    assert "Page 1 of 2" in page1 and "?page=2" in page1
    assert "Page 2 of 2" in client.get(HOME, {"page": 99}).content.decode()


def _add_moments(author, commenters, count: int) -> None:
    for _ in range(count):
        moment = MomentFactory(author=author)
        MomentImageFactory(moment=moment, position=1)
        MomentImageFactory(moment=moment, position=2)
        for commenter in commenters:
            CommentFactory(moment=moment, author=commenter)


def test_feed_costs_the_same_number_of_queries_for_2_and_20_moments(client, friend_pair):
    me, friend = friend_pair
    other = Level1UserFactory()
    make_friends(friend, other)
    client.force_login(me)
    client.get(HOME)  # warm up the session and the agreement cache

    _add_moments(friend, [friend, me, other], 1)
    _add_moments(me, [friend], 1)
    with CaptureQueriesContext(connection) as two:
        response = client.get(HOME)
    assert response.content.decode().count('class="card moment"') == 2

    _add_moments(friend, [me, other], 9)
    _add_moments(me, [friend, me], 9)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(HOME)
    assert response.content.decode().count('class="card moment"') == 20
    assert len(twenty) == len(two), "\n".join(q["sql"] for q in twenty.captured_queries)
    assert len(two) <= 12
