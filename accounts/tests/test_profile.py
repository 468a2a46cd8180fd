from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Profile
from core.testing import upload_manifest, uploads_dir

pytestmark = pytest.mark.django_db

UPLOADS = uploads_dir()


@pytest.mark.parametrize(("name", "expected"), upload_manifest())
def test_avatar_upload_over_the_manifest(client, user, name, expected, settings):
    client.force_login(user)
    upload = SimpleUploadedFile(name, (UPLOADS / name).read_bytes(), content_type="image/jpeg")
    response = client.post(reverse("accounts:me"), {"nickname": "Typed nickname", "bio": "Typed bio",
                                                    "avatar_upload": upload}, HTTP_ACCEPT_LANGUAGE="en")
    profile = Profile.objects.get(user=user)
    media = Path(settings.MEDIA_ROOT)
    if expected == "accept":
        assert response.status_code == 302
        assert profile.avatar and profile.nickname == "Typed nickname"
        with Image.open(profile.avatar.path) as img:
            assert not img.getexif()
            assert "exif" not in img.info and "xmp" not in img.info
        assert b"GPS" not in Path(profile.avatar.path).read_bytes()
    else:
        assert response.status_code == 200
        page = response.content.decode()
        assert 'class="error"' in page
        # What was typed survives; nothing was stored.
        assert 'value="Typed nickname"' in page and "Typed bio" in page
        assert not profile.avatar
        assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_avatar_replaced_deletes_the_old_file(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    data = (UPLOADS / "id-back-plain.png").read_bytes()
    client.post(reverse("accounts:me"), {"nickname": "n", "avatar_upload": SimpleUploadedFile("a.png", data)})
    first = Profile.objects.get(user=user).avatar.path
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:me"), {"nickname": "n", "avatar_upload": SimpleUploadedFile("b.png", data)})
    assert not Path(first).exists()
    assert Path(Profile.objects.get(user=user).avatar.path).exists()


def test_handle_is_unique_case_insensitively(client, user, level1_user):
    Profile.objects.filter(user=level1_user).update(handle="Moon")
    client.force_login(user)
    response = client.post(reverse("accounts:me"), {"nickname": "n", "handle": "moon"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This handle is taken." in response.content.decode()
