"""One staff two-factor gate (accounts.staff) in front of every staff page, on allauth's public API."""

from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from conftest import mfa_login

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]

# Every staff page: the two prefixes the middleware guards, and the staff views elsewhere.
STAFF_PAGES = [
    "/admin/",
    "/review/",
    "/review/dashboard/",
    "/verify/review/1/image/1/",
    "/verify/vouch/cases/1/false/",
    "/publicaccounts/review/qualifications/1/scan/",
]
STAFF_VIEWS_ELSEWHERE = STAFF_PAGES[3:]


def _staff(kind: str):
    if kind == "is_staff":
        return Level2UserFactory(is_staff=True)
    user = Level2UserFactory()
    user.groups.add(Group.objects.get_or_create(name=kind)[0])
    return user


@pytest.mark.parametrize("kind", ["is_staff", "moderator", "compliance"])
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_with_mfa_set_up_but_not_passed_in_this_session_are_sent_to_pass_it(client, url, kind):
    staff = _staff(kind)
    TOTP.activate(staff, "JBSWY3DPEHPK3PXP")
    client.force_login(staff)  # a password login: no second factor in this session
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert f"next={url.replace('/', '%2F')}" in response["Location"]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, url):
    client.force_login(_staff("moderator"))
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=False)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    assert "Staff pages need two-factor authentication" in page


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_who_passed_mfa_get_through_the_gate(client, url):
    mfa_login(client, Level2UserFactory(is_staff=True, is_superuser=True))
    response = client.get(url)
    # Past the gate: the page itself answers (the objects with id 1 do not exist here, so 404 for those).
    assert response.status_code == (404 if url in STAFF_VIEWS_ELSEWHERE else 200)


@pytest.mark.parametrize("url", STAFF_VIEWS_ELSEWHERE)
def test_people_who_are_not_staff_do_not_learn_the_staff_pages_exist(client, url):
    client.force_login(Level1UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (302, 404)


def test_the_gate_is_written_once_on_allauths_public_api():
    offenders = []
    for path in REPO.glob("*/**/*.py"):
        rel = path.relative_to(REPO)
        if rel.parts[0] in {"e2e", "bench"} or ".venv" in rel.parts or "tests" in rel.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "allauth.account.internal" in text or "def _passed_mfa" in text:
            offenders.append(str(rel))
        if "get_authentication_records" in text and rel != Path("accounts/staff.py"):
            offenders.append(str(rel))
    assert offenders == []
