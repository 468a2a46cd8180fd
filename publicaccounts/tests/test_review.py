"""The review queue: names with reserved terms (moderators), qualifications (compliance), revocation."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import Level2UserFactory
from conftest import mfa_login
from moderation import services as queue
from moderation.models import AuditEntry, ItemStatus, ReviewItem
from publicaccounts import qualifications
from publicaccounts.models import (
    AccountStatus,
    LicenceType,
    Qualification,
    QualificationStatus,
    private_storage,
)

from .factories import in_group, make_account, make_qualification, processed, register, upload

pytestmark = pytest.mark.django_db


def _item(target, kind):
    return ReviewItem.objects.filter(kind=kind, object_id=target.pk).latest("pk")


def _decide(target, kind, reviewer, decision, reason_code=""):
    item = queue.review_item_claim(item=_item(target, kind), reviewer=reviewer)
    return queue.review_item_decide(item=item, reviewer=reviewer, decision=decision, reason_code=reason_code)


def apply(account, *, licence_type=LicenceType.REPRODUCTION, valid_until=None, **extra):
    today = timezone.localdate()
    return qualifications.qualification_apply(
        account=account, actor=account.owner, licence_type=licence_type, licence_number="10120230042",
        issuing_authority="Beijing Cyberspace Administration", valid_from=today - timedelta(days=1),
        valid_until=valid_until or today + timedelta(days=365), scan=processed(), **extra)


# --- Names -----------------------------------------------------------------------

def test_the_moderator_approves_a_reserved_name(owner, moderator):
    account = register(owner, name="城市新闻", handle="city")
    _decide(account, "publicaccount_name", moderator, "approve")
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert Notification.objects.filter(user=owner, kind="publicaccount.approved").exists()
    assert AuditEntry.objects.filter(action="publicaccount.approve", target_id=str(account.pk),
                                     actor=moderator).exists()


def test_the_moderator_rejects_with_a_reason_and_the_name_is_freed(owner, moderator):
    account = register(owner, name="人民日报精选", handle="daily")
    apply(account)  # a pending application of a rejected account leaves the queue with it
    with pytest.raises(queue.QueueError):
        _decide(account, "publicaccount_name", moderator, "reject")  # a reason is required
    queue.review_item_decide(item=_item(account, "publicaccount_name"), reviewer=moderator, decision="reject",
                             reason_code="impersonation")
    account.refresh_from_db()
    assert account.status == AccountStatus.REJECTED
    assert account.reason_code == "impersonation"
    notice = Notification.objects.get(user=owner, kind="publicaccount.rejected")
    assert "party, government, military or media body" in notice.body
    assert Qualification.objects.get(account=account).status == QualificationStatus.REJECTED
    assert _item(account.qualifications.get(), "qualification").status == ItemStatus.WITHDRAWN
    # Another person may now take the name.
    register(Level2UserFactory(), name="人民日报精选", handle="daily-2")


def test_compliance_staff_do_not_see_name_reviews_and_moderators_do_not_see_qualifications(owner, moderator,
                                                                                           compliance):
    account = register(owner, name="每日新闻", handle="daily")
    qualification = apply(account)
    with pytest.raises(queue.QueueError):
        queue.review_item_claim(item=_item(account, "publicaccount_name"), reviewer=compliance)
    with pytest.raises(queue.QueueError):
        queue.review_item_claim(item=_item(qualification, "qualification"), reviewer=moderator)


def test_the_name_review_page(client, owner, moderator):
    account = register(owner, name="国务院观察", handle="observer", introduction="Commentary.")
    item = queue.review_item_claim(item=_item(account, "publicaccount_name"), reviewer=moderator)
    mfa_login(client, moderator)
    body = client.get(f"/review/items/{item.pk}/").content.decode()
    assert "国务院观察" in body and "@observer" in body and "Commentary." in body
    assert "reserved for party, government, military or media bodies: 国务院" in body
    assert 'value="approve"' in body and 'value="reject"' in body


# --- Qualifications ----------------------------------------------------------------

def test_apply_stores_the_scan_privately_and_queues_it_for_compliance(owner):
    account = make_account(owner)
    qualification = apply(account)
    assert qualification.status == QualificationStatus.PENDING
    assert private_storage().exists(qualification.scan.name)
    assert qualification.scan.name.startswith("qualifications/")
    item = _item(qualification, "qualification")
    assert item.subject == owner
    assert AuditEntry.objects.filter(action="qualification.apply", target_id=str(qualification.pk)).exists()
    with pytest.raises(ValidationError):
        apply(account)  # one application at a time


def test_an_expired_licence_cannot_be_applied_for(owner):
    account = make_account(owner)
    with pytest.raises(ValidationError) as exc:
        apply(account, valid_until=timezone.localdate() - timedelta(days=1))
    assert "valid_until" in exc.value.message_dict


def test_compliance_approves_and_the_rights_follow(owner, compliance):
    from publicaccounts.rights import publishing_decision

    account = make_account(owner)
    qualification = apply(account)
    assert not publishing_decision(account=account, category="political_news", origin="reproduced")
    _decide(qualification, "qualification", compliance, "approve")
    qualification.refresh_from_db()
    assert qualification.status == QualificationStatus.APPROVED
    assert qualification.decided_by == compliance
    assert publishing_decision(account=account, category="political_news", origin="reproduced")
    assert not publishing_decision(account=account, category="political_news", origin="original")
    assert Notification.objects.filter(user=owner, kind="qualification.approved").exists()
    assert AuditEntry.objects.filter(action="qualification.approve", actor=compliance).exists()


def test_compliance_rejects_with_a_reason(owner, compliance):
    account = make_account(owner)
    qualification = apply(account)
    _decide(qualification, "qualification", compliance, "reject", "mismatch")
    qualification.refresh_from_db()
    assert (qualification.status, qualification.reason_code) == (QualificationStatus.REJECTED, "mismatch")
    assert "do not match" in Notification.objects.get(user=owner, kind="qualification.rejected").body
    apply(account)  # and may apply again


def test_a_licence_that_expired_while_waiting_cannot_be_approved(owner, compliance, time_machine):
    account = make_account(owner)
    qualification = apply(account, valid_until=timezone.localdate() + timedelta(days=2))
    time_machine.move_to(timezone.now() + timedelta(days=4))
    with pytest.raises(queue.QueueError):
        _decide(qualification, "qualification", compliance, "approve")
    qualification.refresh_from_db()
    assert qualification.status == QualificationStatus.PENDING


def test_the_scan_is_shown_only_to_the_compliance_officer_holding_the_claim(client, owner, compliance):
    account = make_account(owner)
    qualification = apply(account)
    url = f"/publicaccounts/review/qualifications/{qualification.pk}/scan/"
    # The owner, another user, a compliance officer without the claim: 404.
    client.force_login(owner)
    assert client.get(url).status_code == 404
    mfa_login(client, compliance)
    assert client.get(url).status_code == 404
    item = queue.review_item_claim(item=_item(qualification, "qualification"), reviewer=compliance)
    # Without MFA in this session: sent to pass it first.
    client.logout()
    client.force_login(compliance)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/reauthenticate/")
    mfa_login(client, compliance)
    page = client.get(f"/review/items/{item.pk}/").content.decode()
    assert url in page and "10120230042" in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] in ("image/jpeg", "image/png")
    assert AuditEntry.objects.filter(action="qualification.scan_view", actor=compliance,
                                     target_id=str(qualification.pk)).count() == 1
    # Once decided, nobody sees it any more.
    queue.review_item_decide(item=item, reviewer=compliance, decision="approve")
    assert client.get(url).status_code == 404


def test_the_apply_page(client, owner):
    account = make_account(owner, handle="garden")
    client.force_login(owner)
    today = timezone.localdate()
    response = client.post("/p/garden/qualifications/new/", {
        "licence_type": "reproduction", "licence_number": "10120230042", "issuing_authority": "Beijing CAC",
        "valid_from": (today - timedelta(days=1)).isoformat(), "valid_until": today.isoformat(),
        "scan": upload("licence.png"),
    })
    assert response.status_code == 302
    assert Qualification.objects.filter(account=account, status=QualificationStatus.PENDING).exists()
    assert b'id="apply-refused"' in client.get("/p/garden/qualifications/new/").content


def test_the_apply_page_explains_a_refused_scan(client, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_account(owner, handle="garden")
    client.force_login(owner)
    today = timezone.localdate()
    response = client.post("/p/garden/qualifications/new/", {
        "licence_type": "original", "licence_number": "N1", "issuing_authority": "CAC",
        "valid_from": today.isoformat(), "valid_until": today.isoformat(),
        "scan": SimpleUploadedFile("licence.png", b"not an image"),
    })
    assert response.status_code == 400
    assert b"not an image we accept" in response.content
    assert b'value="N1"' in response.content


# --- Revocation ------------------------------------------------------------------------

def test_revocation_is_for_compliance_staff_with_a_reason(owner, compliance):
    q = make_qualification(make_account(owner), licence_type=LicenceType.ORIGINAL)
    with pytest.raises(PermissionDenied):
        qualifications.qualification_revoke(qualification=q, actor=owner, reason="no")
    with pytest.raises(ValidationError):
        qualifications.qualification_revoke(qualification=q, actor=compliance, reason="  ")
    qualifications.qualification_revoke(qualification=q, actor=compliance, reason="Withdrawn by the authority.")
    qualifications.qualification_revoke(qualification=q, actor=compliance, reason="again")  # idempotent
    q.refresh_from_db()
    assert (q.status, q.revoked_by, q.revoke_reason) == (QualificationStatus.REVOKED, compliance,
                                                         "Withdrawn by the authority.")
    entries = AuditEntry.objects.filter(action="qualification.revoke", target_id=str(q.pk))
    assert entries.count() == 1 and entries.get().reason == "Withdrawn by the authority."
    assert Notification.objects.filter(user=owner, kind="qualification.revoked").count() == 1


def test_only_an_approved_qualification_can_be_revoked(owner, compliance):
    q = make_qualification(make_account(owner), status=QualificationStatus.PENDING)
    with pytest.raises(ValidationError):
        qualifications.qualification_revoke(qualification=q, actor=compliance, reason="x")


def test_the_admin_action_revokes_with_a_reason(client, owner):
    admin = in_group(Level2UserFactory(is_staff=True, is_superuser=True), "compliance")
    q = make_qualification(make_account(owner), licence_type=LicenceType.REPRODUCTION)
    mfa_login(client, admin)
    url = "/admin/publicaccounts/qualification/"
    response = client.post(url, {"action": "revoke", "_selected_action": [q.pk]})
    assert response.status_code == 200
    assert b'name="reason"' in response.content
    q.refresh_from_db()
    assert q.status == QualificationStatus.APPROVED
    response = client.post(url, {"action": "revoke", "_selected_action": [q.pk], "apply": "1",
                                 "reason": "Licence number not registered."})
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.status == QualificationStatus.REVOKED
    assert AuditEntry.objects.filter(action="qualification.revoke", actor=admin).exists()


def test_the_admin_lists_and_reserved_terms_are_editable(client):
    admin = Level2UserFactory(is_staff=True, is_superuser=True)
    mfa_login(client, admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    account = make_account(name="Harbour Weekly")
    for url, shown in (("/admin/publicaccounts/publicaccount/", "Harbour Weekly"),
                       ("/admin/publicaccounts/qualification/", "0 qualifications"),
                       ("/admin/publicaccounts/article/", "0 articles"),
                       ("/admin/publicaccounts/reservedterm/", "国务院")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert shown in response.content.decode(), (url, shown)
    add = client.get("/admin/publicaccounts/reservedterm/add/").content.decode()
    assert 'name="term"' in add and 'name="kind"' in add and 'name="_save"' in add
    response = client.post("/admin/publicaccounts/reservedterm/add/", {"term": "快讯社", "kind": "news", "note": ""})
    assert response.status_code == 302
    assert "快讯社" in client.get("/admin/publicaccounts/reservedterm/").content.decode()
    page = client.get(f"/admin/publicaccounts/publicaccount/{account.pk}/change/").content.decode()
    assert "Harbour Weekly" in page and 'name="name"' not in page, "accounts are read-only in the admin"
