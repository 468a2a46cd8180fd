"""The staff console: kinds are editable, submissions read-only and masked."""

import pytest
from django.urls import reverse

from verification.documents.models import DocumentKind
from verification.tests.utils import resident_id

pytestmark = pytest.mark.django_db


def test_submission_admin_shows_only_the_masked_identity(staff_client, pending):
    changelist = staff_client.get(reverse("admin:verification_documentsubmission_changelist"))
    change = staff_client.get(reverse("admin:verification_documentsubmission_change", args=[pending.pk]))
    for response in (changelist, change):
        assert response.status_code == 200
        html = response.content.decode()
        assert resident_id() not in html and "张三" not in html
        assert pending.identity.masked_number in html
        assert "/no-public-url/" not in html and "documents/" not in html
    assert staff_client.get(reverse("admin:verification_documentsubmission_add")).status_code == 403
    response = staff_client.post(reverse("admin:verification_documentsubmission_delete", args=[pending.pk]))
    assert response.status_code == 403


def test_kind_admin_adds_and_edits_kinds(staff_client):
    add = reverse("admin:verification_documentkind_add")
    assert staff_client.get(add).status_code == 200
    response = staff_client.post(add, {
        "code": "hk_permit", "name_zh": "港澳通行证", "name_en": "Exit-entry permit", "active": "on", "order": "60",
        "sides": "1", "side1_label_zh": "正面", "side1_label_en": "Front", "number_format": "regex",
        "number_regex": "[", "number_hint_zh": "", "number_hint_en": "",
    })
    assert response.status_code == 200 and "not a valid regular expression" in response.content.decode()
    response = staff_client.post(add, {
        "code": "hk_permit", "name_zh": "港澳通行证", "name_en": "Exit-entry permit", "active": "on", "order": "60",
        "sides": "1", "side1_label_zh": "正面", "side1_label_en": "Front", "number_format": "regex",
        "number_regex": "[A-Z][0-9]{8}", "number_hint_zh": "", "number_hint_en": "",
    })
    assert response.status_code == 302
    assert DocumentKind.objects.get(code="hk_permit").active


def test_the_code_of_a_used_kind_is_read_only(staff_client, pending):
    html = staff_client.get(reverse("admin:verification_documentkind_change", args=[pending.kind_id])).content.decode()
    assert 'name="code"' not in html
    html = staff_client.get(reverse("admin:verification_documentkind_change",
                                    args=[DocumentKind.objects.get(code="soldier").pk])).content.decode()
    assert 'name="code"' in html
