"""Pages through the test client: the hub, the upload form (with the hostile-upload corpus), withdraw, images."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageChops, ImageOps

from accounts.masking import mask_document_number
from accounts.models import RealIdentity
from accounts.tests.factories import Level1UserFactory, UserFactory
from conftest import mfa_login
from core.testing import assert_constant_queries, upload_manifest
from moderation.models import AuditEntry, ItemStatus, ReviewItem
from verification.conftest import claim, item_of
from verification.documents.models import DocumentSubmission, SubmissionStatus
from verification.tests.utils import BACK, FRONT, PASSPORT_NUMBER, UPLOADS, fresh, private_files, resident_id, upload

pytestmark = pytest.mark.django_db

HUB, DOCUMENT = "/verify/", "/verify/document/"


def test_stable_urls():
    assert reverse("verification:hub") == HUB
    assert reverse("verification:document") == DOCUMENT
    assert reverse("verification:thumb", kwargs={"pk": 3, "side": 1}) == "/verify/document/3/thumb/1/"
    assert reverse("verification:reviewer_image", kwargs={"pk": 3, "side": 2}) == "/verify/review/3/image/2/"
    assert reverse("verification:withdraw", kwargs={"pk": 3}) == "/verify/document/3/withdraw/"


# --- Hub -----------------------------------------------------------------------

def test_hub_needs_login(client):
    response = client.get(HUB)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_hub_shows_level_unlocks_and_ways_up(client, user):
    client.force_login(user)
    html = client.get(HUB).content.decode()
    assert "0 · Registered" in html and "What each level unlocks" in html
    assert "Friends, moments, comments, reports" in html and "Vouching for others, public accounts" in html
    assert 'href="/me/phone/"' in html and f'href="{DOCUMENT}"' in html
    # Vouching is a real way up now (it said "coming soon" before the vouching issue).
    assert "Coming soon" not in html and 'href="/verify/vouch/"' in html


def test_hub_for_a_verified_user_offers_no_upload(client, level2_user):
    client.force_login(level2_user)
    html = client.get(HUB).content.decode()
    assert "Done: your identity is verified." in html and f'href="{DOCUMENT}"' not in html


def test_hub_shows_a_pending_case_with_thumbnails_and_withdraw(client, pending):
    client.force_login(pending.user)
    html = client.get(HUB).content.decode()
    assert "Waiting for review" in html
    for side in (1, 2):
        assert f"/verify/document/{pending.pk}/thumb/{side}/" in html
    assert f"/verify/document/{pending.pk}/withdraw/" in html
    assert "documents/" not in html, "no storage path reaches the page"
    assert f'href="{DOCUMENT}"' not in html


@pytest.mark.parametrize("decision,reason,text", [
    ("reject", "mismatch", "The name or number does not match the document."),
    ("resubmit", "unreadable", "The images are not clear enough to read."),
])
def test_hub_shows_the_reason_of_a_decision(client, pending, moderator, decide, decision, reason, text):
    decide(pending, moderator, decision, reason)
    client.force_login(pending.user)
    html = client.get(HUB).content.decode()
    assert text in html and f'href="{DOCUMENT}' in html
    assert "/thumb/" not in html


def test_hub_and_vouch_page_cost_the_same_queries_with_3_and_6_friends_asked(client):
    from verification.vouching import services as vouch_services
    from verification.vouching.tests.helpers import circle, confirm, make_voucher, start_case

    applicant, vouchers = circle(3)
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    client.force_login(applicant)
    pages = {}

    def read():
        for url in (HUB, "/verify/vouch/"):
            response = client.get(url)
            assert response.status_code == 200
            pages[url] = response.content.decode()

    def ask_six():
        vouch_services.vouch_case_withdraw(case=case, actor=applicant)
        more = [*vouchers, *(make_voucher(applicant) for _ in range(3))]
        bigger = start_case(applicant, more)
        for voucher in more[:2]:
            confirm(bigger, voucher)

    read()  # the first request of a session also caches the agreement check
    assert pages[HUB].count("Your vouch case:") == 1 and pages["/verify/vouch/"].count("data-voucher=") == 3
    assert_constant_queries(read, ask_six, at_most=24)
    assert "Your vouch case:" in pages[HUB] and "See your vouch case" in pages[HUB]
    assert pages["/verify/vouch/"].count("data-voucher=") == 6
    assert "2 of 3 confirmations so far." in pages["/verify/vouch/"]


# --- The upload form -------------------------------------------------------------

def test_document_page_two_steps(client, level1_user):
    client.force_login(level1_user)
    html = client.get(DOCUMENT).content.decode()
    assert 'name="kind"' in html and 'value="resident_id"' in html and 'value="soldier"' in html
    html = client.get(DOCUMENT, {"kind": "resident_id"}).content.decode()
    assert 'name="side_1"' in html and 'name="side_2"' in html and "Back (with the national emblem)" in html
    assert 'enctype="multipart/form-data"' in html
    html = client.get(DOCUMENT, {"kind": "passport"}).content.decode()
    assert 'name="side_1"' in html and 'name="side_2"' not in html and "Photo page" in html
    html = client.get(DOCUMENT, {"kind": "nonsense"}).content.decode()
    assert 'value="resident_id"' in html  # back to step 1


def test_document_page_for_verified_and_pending_users(client, level2_user, pending):
    client.force_login(level2_user)
    html = client.get(DOCUMENT, {"kind": "passport"}).content.decode()
    assert "already verified" in html and 'name="side_1"' not in html
    client.force_login(pending.user)
    html = client.get(DOCUMENT, {"kind": "passport"}).content.decode()
    assert "withdraw it to send another" in html and 'name="side_1"' not in html


def test_document_page_needs_login(client):
    assert client.get(DOCUMENT).status_code == 302


def post(client, *, kind="resident_id", name="张三", number=None, files=(FRONT, BACK)):
    data = {"kind": kind, "real_name": name, "document_number": number or resident_id()}
    for side, file in enumerate(files, start=1):
        data[f"side_{side}"] = upload(file) if isinstance(file, str) else file
    return client.post(DOCUMENT, data)


def test_submit_through_the_form(client, level1_user, django_capture_on_commit_callbacks):
    client.force_login(level1_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    assert response.status_code == 302 and response["Location"] == HUB
    submission = DocumentSubmission.objects.get(user=level1_user)
    assert submission.status == SubmissionStatus.PENDING and submission.kind.code == "resident_id"
    assert submission.identity.real_name == "张三" and submission.identity.document_number == resident_id()
    assert ReviewItem.objects.filter(kind="document", object_id=submission.pk).exists()


def _refused_page(response, field: str, typed: tuple[str, ...]):
    assert response.status_code == 200
    html = response.content.decode()
    form = response.context["form"]
    assert form.errors[field], form.errors
    for value in typed:
        assert f'value="{value}"' in html, value
    return html


@pytest.mark.parametrize("name,expected", upload_manifest())
def test_upload_corpus_through_the_form(client, django_capture_on_commit_callbacks, name, expected):
    person = Level1UserFactory()
    client.force_login(person)
    before = private_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, kind="passport", number=PASSPORT_NUMBER, name="Li Si", files=(name,))
    if expected == "accept":
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        submission = DocumentSubmission.objects.get(user=person)
        assert submission.status == SubmissionStatus.PENDING
        image = submission.images.get()
        with image.image.open("rb") as fh:
            stored = Image.open(io.BytesIO(fh.read()))
            stored.load()
        assert len(stored.getexif()) == 0 and not {"exif", "xmp", "icc_profile", "comment"} & set(stored.info)
        upright = ImageOps.exif_transpose(Image.open(UPLOADS / name))
        assert stored.size == upright.size
        if upright.size != Image.open(UPLOADS / name).size:
            # Right way up, not merely rotated: closer to the EXIF-correct view than to the other rotation.
            size = (50, 80)
            got = stored.convert("RGB").resize(size)
            wrong = upright.transpose(Image.Transpose.ROTATE_180).convert("RGB").resize(size)
            assert _diff(got, upright.convert("RGB").resize(size)) < _diff(got, wrong)
    else:
        html = _refused_page(response, "side_1", ("Li Si", PASSPORT_NUMBER))
        assert "choose the image again" in html
        assert not DocumentSubmission.objects.exists() and not RealIdentity.objects.exists()
        assert private_files() == before


def _diff(a, b) -> float:
    from PIL import ImageStat

    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def test_refused_number_keeps_what_was_typed(client, level1_user):
    client.force_login(level1_user)
    bad = resident_id()[:-1] + ("1" if resident_id()[-1] != "1" else "2")
    html = _refused_page(post(client, number=bad), "document_number", ("张三", bad))
    assert "check digit" in html and "choose the images again" in html
    assert not DocumentSubmission.objects.exists()


def test_under_14_is_told_a_guardian_must_apply(client, level1_user):
    from verification.tests.utils import birth_years_ago

    client.force_login(level1_user)
    young = resident_id(birth=birth_years_ago(10))
    html = _refused_page(post(client, number=young), "document_number", (young,))
    assert "parent or guardian must apply" in html
    assert not RealIdentity.objects.exists()


def test_a_rejected_image_is_refused_on_the_form(client, pending, moderator, decide):
    decide(pending, moderator, "reject", "forgery")
    client.force_login(Level1UserFactory())
    html = _refused_page(post(client, files=(fresh(), BACK)), "side_2", ("张三",))
    assert "already rejected" in html
    assert DocumentSubmission.objects.count() == 1


def test_the_service_refusal_shows_on_the_form(client, level1_user, settings, submit):
    from verification.documents import services

    settings.DOCUMENT_MAX_SUBMISSIONS = 1
    services.submission_withdraw(submission=submit(level1_user), actor=level1_user)
    client.force_login(level1_user)
    html = client.get(DOCUMENT, {"kind": "passport"}).content.decode()
    assert "the most allowed" in html and 'name="side_1"' not in html
    response = post(client, files=(fresh(), fresh()))
    assert response.status_code == 200 and "the most allowed" in response.content.decode()
    assert DocumentSubmission.objects.count() == 1


def test_uploads_are_rate_limited_per_address(client, level1_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "document_submit": "1/h/ip"}
    client.force_login(level1_user)
    post(client, number="123")  # refused for the number, but it counts
    response = post(client, name="王五")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many uploads" in html and 'value="王五"' in html
    assert not DocumentSubmission.objects.exists()


# --- Withdraw --------------------------------------------------------------------

def test_withdraw_by_the_owner(client, pending, django_capture_on_commit_callbacks):
    names = {n for i in pending.images.all() for n in i.file_names}
    url = reverse("verification:withdraw", kwargs={"pk": pending.pk})
    client.force_login(pending.user)
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == HUB
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.WITHDRAWN
    assert item_of(pending).status == ItemStatus.WITHDRAWN
    assert not names & private_files()
    assert "withdrew this document" in client.get(HUB).content.decode()
    response = client.post(url, follow=True)  # again: harmless
    assert response.status_code == 200


def test_withdraw_needs_csrf_and_the_owner(pending):
    url = reverse("verification:withdraw", kwargs={"pk": pending.pk})
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(pending.user)
    assert csrf_client.post(url).status_code == 403
    stranger = Client()
    stranger.force_login(Level1UserFactory())
    assert stranger.post(url).status_code == 404
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_withdraw_after_a_decision_is_refused_with_a_message(client, pending, moderator, decide):
    decide(pending, moderator, "approve")
    client.force_login(pending.user)
    response = client.post(reverse("verification:withdraw", kwargs={"pk": pending.pk}), follow=True)
    assert "can no longer be withdrawn" in response.content.decode()


# --- The owner's thumbnails ------------------------------------------------------------

def _thumb(pk, side=1):
    return reverse("verification:thumb", kwargs={"pk": pk, "side": side})


def test_owner_sees_thumbnails_while_pending(client, pending):
    client.force_login(pending.user)
    response = client.get(_thumb(pending.pk, 2))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    image = pending.images.get(side=2)
    with image.thumbnail.open("rb") as fh:
        assert b"".join(response.streaming_content) == fh.read()
    assert client.get(_thumb(pending.pk, 3)).status_code == 404


def test_nobody_else_sees_thumbnails(client, pending, moderator):
    url = _thumb(pending.pk)
    assert client.get(url).status_code == 404
    for other in (Level1UserFactory(), UserFactory(is_staff=True, is_superuser=True)):
        client.force_login(other)
        assert client.get(url).status_code == 404
    claim(pending, moderator)
    mfa_login(client, moderator)
    assert client.get(url).status_code == 404


def test_thumbnails_are_gone_after_a_decision(client, pending, moderator, decide):
    decide(pending, moderator, "approve")
    client.force_login(pending.user)
    assert client.get(_thumb(pending.pk)).status_code == 404


def test_no_thumbnail_while_processing(client, level1_user, django_capture_on_commit_callbacks):
    client.force_login(level1_user)
    with django_capture_on_commit_callbacks(execute=False):
        post(client)
    submission = DocumentSubmission.objects.get()
    assert submission.status == SubmissionStatus.PROCESSING
    assert client.get(_thumb(submission.pk)).status_code == 404
    assert "checking your images" in client.get(HUB).content.decode()


# --- The reviewer's watermarked images ------------------------------------------------------

def _image_url(pk, side=1):
    return reverse("verification:reviewer_image", kwargs={"pk": pk, "side": side})


def test_reviewer_holding_the_claim_sees_a_watermarked_copy(client, pending, moderator):
    claim(pending, moderator)
    mfa_login(client, moderator)
    for side in (1, 2):
        response = client.get(_image_url(pending.pk, side))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
        image = pending.images.get(side=side)
        with image.image.open("rb") as fh:
            stored_bytes = fh.read()
        stored = Image.open(io.BytesIO(stored_bytes)).convert("RGB")
        served = Image.open(io.BytesIO(response.content))
        served.load()
        assert served.size == stored.size
        assert response.content != stored_bytes
        assert _diff(served.convert("RGB"), stored) > 1, "the watermark is visible, not a re-encode"
    entries = AuditEntry.objects.filter(action="document.image_view").order_by("pk")
    assert [(e.actor_id, e.target_id, e.data["side"]) for e in entries] == [
        (moderator.pk, str(pending.pk), 1), (moderator.pk, str(pending.pk), 2)]


def test_watermark_names_the_viewer_and_time():
    from datetime import datetime

    from django.utils import timezone

    from core.watermark import watermark_text

    viewer = UserFactory()
    viewer.profile.nickname = "Ada"
    at = timezone.make_aware(datetime(2026, 3, 1, 9, 30))
    assert watermark_text(viewer=viewer, at=at) == f"REVIEW #{viewer.pk} Ada 2026-03-01 09:30 CST"
    viewer.profile.nickname = "审核员"
    assert watermark_text(viewer=viewer, at=at) == f"REVIEW #{viewer.pk} 2026-03-01 09:30 CST"


def test_watermark_keeps_png_transparency_and_size():
    from core.watermark import watermark

    img = Image.new("RGBA", (300, 200), (10, 20, 30, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    marked = Image.open(io.BytesIO(watermark(out.getvalue(), text="REVIEW #1")))
    assert marked.format == "PNG" and marked.size == (300, 200) and marked.mode == "RGBA"
    assert marked.getchannel("A").getextrema()[1] > 0


def test_nobody_else_sees_the_full_images(client, pending, moderator, other_moderator):
    url = _image_url(pending.pk)
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(pending.user)
    assert client.get(url).status_code == 404  # the owner
    mfa_login(client, moderator)
    assert client.get(url).status_code == 404  # a moderator without the claim
    claim(pending, moderator)
    mfa_login(client, other_moderator)
    assert client.get(url).status_code == 404  # another moderator
    superuser = UserFactory(is_staff=True, is_superuser=True)
    mfa_login(client, superuser)
    assert client.get(url).status_code == 404  # even a superuser, without the claim
    holder = Client()
    holder.force_login(moderator)  # the claim holder, but this session did not pass MFA: sent to pass it
    response = holder.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert not AuditEntry.objects.filter(action="document.image_view").exists()


def _shown_image(response) -> Image.Image:
    """The image a 200 response carries, decoded (fails on an empty or non-image body)."""
    assert response.status_code == 200 and response["Content-Type"].startswith("image/")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def test_full_images_are_gone_after_a_decision_or_when_the_claim_lapses(client, pending, moderator, decide,
                                                                          time_machine, settings):
    from datetime import timedelta

    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    claim(pending, moderator)
    mfa_login(client, moderator)
    url = _image_url(pending.pk)
    assert _shown_image(client.get(url)).size[0] > 0
    time_machine.shift(timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES + 1))
    assert client.get(url).status_code == 404
    decide(pending, moderator, "approve")
    mfa_login(client, moderator)
    assert client.get(url).status_code == 404


def test_viewing_an_image_keeps_the_claim_alive(client, pending, moderator, time_machine, settings):
    from datetime import timedelta

    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    claim(pending, moderator)
    mfa_login(client, moderator)
    for _ in range(3):
        time_machine.shift(timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES - 5))
        assert _shown_image(client.get(_image_url(pending.pk))).size[0] > 0
    item = item_of(pending)
    assert item.status == ItemStatus.CLAIMED and item.claimed_by_id == moderator.pk


# --- Inside the queue's item page ------------------------------------------------------------

def test_queue_item_page_shows_the_document_and_decides_it(client, pending, moderator,
                                                           django_capture_on_commit_callbacks):
    item = item_of(pending)
    mfa_login(client, moderator)
    page = reverse("moderation:item", kwargs={"pk": item.pk})
    html = client.get(page).content.decode()
    # Before the claim: the identity masked, no images.
    assert resident_id() not in html and mask_document_number(resident_id()) in html
    assert "Claim this item to see the images." in html
    client.post(reverse("moderation:claim", kwargs={"pk": item.pk}))
    html = client.get(page).content.decode()
    assert resident_id() in html
    assert _image_url(pending.pk) in html and _image_url(pending.pk, 2) in html
    assert client.get(_image_url(pending.pk)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("moderation:decide", kwargs={"pk": item.pk}),
                               {"decision": "approve", "note": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.APPROVED


def test_queue_item_page_shows_the_cap_refusal_without_a_500(client, submit, moderator, decide):
    first, second = Level1UserFactory(), Level1UserFactory()
    decide(submit(first), moderator, "approve")
    late = submit(second, files=(fresh(), fresh()))
    item = claim(late, moderator)
    mfa_login(client, moderator)
    response = client.post(reverse("moderation:decide", kwargs={"pk": item.pk}), {"decision": "approve", "note": ""})
    assert response.status_code == 409
    assert "already verified on 1 other account" in response.content.decode()
