"""The staff console: the ladder from the admin, bulk dismissal, the audit export, the dashboard."""

import csv
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from conftest import mfa_login
from moderation import audit, reports, services
from moderation.models import AuditEntry, CaseOutcome, ItemStatus, Penalty, ReportCase, ReviewItem, Rung

from .conftest import CONTENT_KEY, apply_rung, open_item

pytestmark = pytest.mark.django_db

APPLY = reverse("admin:moderation_penalty_apply")
EXPORT = reverse("moderation:audit_export")
DASHBOARD = reverse("moderation:dashboard")


@pytest.fixture
def staff_en(staff_client):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return staff_client


# --- Applying a rung from the console ------------------------------------------------------------

def test_user_admin_action_leads_to_the_apply_form(staff_en):
    a, b = Level2UserFactory(), Level2UserFactory()
    response = staff_en.post(reverse("admin:accounts_user_changelist"),
                             {"action": "apply_ladder_action", ACTION_CHECKBOX_NAME: [a.pk, b.pk]})
    assert response.status_code == 302 and response["Location"].startswith(APPLY)
    response = staff_en.get(response["Location"])
    assert response.status_code == 200 and f"{a.pk},{b.pk}" in response.content.decode()


def test_apply_asks_for_confirmation_then_applies_to_each_user(staff_en):
    a, b = Level2UserFactory(language="en"), Level2UserFactory(language="en")
    data = {"ids": f"{a.pk},{b.pk}", "action": Rung.RESTRICT, "rule": "public_order", "reason": "Flooding",
            "duration": "custom", "custom_days": 3, "rung_reason": "Flooding in three groups at once"}
    response = staff_en.post(APPLY, data)
    html = response.content.decode()
    assert response.status_code == 200 and "Yes, apply it" in html and "Public order" in html and "Flooding" in html
    assert not Penalty.objects.exists()
    response = staff_en.post(APPLY, {**data, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:moderation_penalty_changelist")
    assert set(Penalty.objects.values_list("user_id", "action")) == {(a.pk, Rung.RESTRICT), (b.pk, Rung.RESTRICT)}
    assert Notification.objects.filter(kind="penalty.restrict").count() == 2


def test_apply_form_errors_keep_the_input(staff_en):
    response = staff_en.post(APPLY, {"ids": "x,1", "action": Rung.SUSPEND, "rule": "laws", "reason": "r"})
    html = response.content.decode()
    assert "numbers" in html and "how long it lasts" in html
    response = staff_en.post(APPLY, {"ids": "999999", "action": Rung.WARN, "rule": "laws", "reason": "r",
                                     "confirm": "yes"})
    assert "No user has these ids" in response.content.decode() and not Penalty.objects.exists()
    user = Level2UserFactory()
    response = staff_en.post(APPLY, {"ids": str(user.pk), "action": Rung.CLOSE, "rule": "laws", "reason": "r"})
    assert "open a new account" in response.content.decode()


def test_closing_from_the_console_needs_a_senior_moderator(client, moderator):
    moderator.is_staff = True
    moderator.save()
    from django.contrib.auth.models import Permission

    moderator.user_permissions.add(Permission.objects.get(codename="add_penalty"))
    mfa_login(client, moderator)
    user = Level2UserFactory()
    response = client.post(APPLY, {"ids": str(user.pk), "action": Rung.CLOSE, "rule": "laws", "reason": "r",
                                   "ban": "forever", "confirm": "yes"})
    assert response.status_code == 200 and "senior moderator" in response.content.decode()
    assert "Continue" in response.content.decode() and not Penalty.objects.exists()


def test_apply_view_needs_the_permission(client):
    staff = Level2UserFactory(is_staff=True)
    mfa_login(client, staff)
    assert client.get(APPLY).status_code == 403


def test_penalty_changelist_and_filters(staff_en, moderator):
    apply_rung(Level2UserFactory(), Rung.WARN, moderator=moderator)
    response = staff_en.get(reverse("admin:moderation_penalty_changelist"), {"action__exact": Rung.WARN})
    assert response.status_code == 200 and "Apply a ladder action" in response.content.decode()
    for name in ("strike", "appeal", "identityban", "report"):
        assert staff_en.get(reverse(f"admin:moderation_{name}_changelist")).status_code == 200


# --- Bulk dismissal of reports ------------------------------------------------------------------

def test_bulk_dismissal_asks_then_dismisses_each_open_case(staff_en, content_target):
    first, second = Level1UserFactory(), Level1UserFactory()
    reporter = Level1UserFactory(language="en")
    r1 = reports.report_create(reporter=reporter, target_key=CONTENT_KEY, obj=first.profile, category="other")
    r2 = reports.report_create(reporter=reporter, target_key=CONTENT_KEY, obj=second.profile, category="other")
    changelist = reverse("admin:moderation_report_changelist")
    data = {"action": "dismiss_cases", ACTION_CHECKBOX_NAME: [r1.pk, r2.pk]}
    response = staff_en.post(changelist, data)
    assert response.status_code == 200 and "Yes, dismiss them" in response.content.decode()
    assert ReviewItem.objects.filter(kind="report", status=ItemStatus.OPEN).count() == 2
    response = staff_en.post(changelist, {**data, "post": "yes", "note": "Not abusive"})
    assert response.status_code == 302
    assert set(ReportCase.objects.values_list("outcome", flat=True)) == {CaseOutcome.DISMISSED}
    assert Notification.objects.filter(user=reporter, kind="report.outcome").count() == 2
    assert AuditEntry.objects.filter(action="review.report.decide", note__text="Not abusive").count() == 2


# --- The audit export -------------------------------------------------------------------------------

def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_audit_export_contents_and_filters(staff_en, moderator):
    other = Level2UserFactory()
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        old = audit.record(actor=moderator, action="test.old", reason="long ago")
    a = audit.record(actor=moderator, action="test.one", target=other, reason="=cmd|' /C calc'!A0",
                     data={"k": "值"})
    b = audit.record(actor=other, action="test.two", target=moderator)
    audit.chain_pending()
    a = AuditEntry.objects.get(pk=a.pk)
    response = staff_en.get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert [r["id"] for r in rows] == [str(e.pk) for e in AuditEntry.objects.order_by("pk")]
    row = next(r for r in rows if r["id"] == str(a.pk))
    assert row["action"] == "test.one" and row["actor_id"] == str(moderator.pk)
    assert row["target_type"] == "accounts.user" and row["target_id"] == str(other.pk)
    # The note's length, never its text; data that looks like a formula is neutralised.
    assert row["note"] == "note (18 chars)" and "calc" not in json.dumps(rows)
    assert '"k": "值"' in row["data"] and row["entry_hash"] == a.entry_hash and row["seq"] == str(a.seq)

    def ids(**params):
        return [int(r["id"]) for r in _rows(staff_en.get(EXPORT, params))]

    assert ids(actor=other.pk) == [b.pk]
    assert ids(action="test.one") == [a.pk]
    assert ids(target_type="accounts.user", target_id=str(moderator.pk)) == [b.pk]
    today = timezone.localdate()
    assert old.pk not in ids(since=today.isoformat()) and a.pk in ids(since=today.isoformat())
    assert ids(until=(today - timedelta(days=5)).isoformat()) == [old.pk]
    # The admin changelist's own parameters work too (its "Export CSV" link passes them on).
    assert ids(action__exact="test.two") == [b.pk]
    assert ids(actor__id__exact=str(moderator.pk), q=str(other.pk)) == [a.pk]
    assert ids(created_at__year=str(today.year), created_at__month=str(today.month),
               created_at__day=str(today.day), action__exact="test.one") == [a.pk]
    assert ids(since="2026-02-30", action="test.one") == [a.pk]  # an impossible date is ignored


def test_audit_export_is_staff_only(client, moderator):
    mfa_login(client, moderator)
    assert client.get(EXPORT).status_code == 404
    client.logout()
    assert client.get(EXPORT).status_code == 302


def test_audit_changelist_links_the_export_with_its_filters(staff_en):
    audit.record(actor=None, action="test.x")
    html = staff_en.get(reverse("admin:moderation_auditentry_changelist"), {"action__exact": "test.x"}).content.decode()
    assert f"{EXPORT}?action__exact=test.x" in html


# --- The dashboard ---------------------------------------------------------------------------------

def test_dashboard_shows_queue_sizes_and_an_svg_chart_with_a_table(client, moderator, other_moderator):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    old = open_item()
    ReviewItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=5))
    decided = open_item()
    services.review_item_claim(item=decided, reviewer=other_moderator)
    services.review_item_decide(item=decided, reviewer=other_moderator, decision="approve")
    mfa_login(client, moderator)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html and '<title id="chart-title">Decisions per day</title>' in html
    assert html.count("<rect") == 30 and f"{timezone.localdate():%Y-%m-%d}: 1" in html
    assert 'id="size-test.profile"' in html and "5\xa0hours" in html
    assert "<table" in html and "1 decision in all." in html
    assert "script" not in html.split("<svg")[1].split("</svg>")[0] and "style=" not in html


def test_dashboard_is_404_for_non_reviewers(client):
    client.force_login(Level1UserFactory())
    assert client.get(DASHBOARD).status_code == 404


def test_queue_pages_use_the_counts_of_the_summary(mod_client):
    from moderation.views import QUEUE_PAGE_SIZE

    items = [open_item() for _ in range(QUEUE_PAGE_SIZE + 1)]
    first = mod_client.get(reverse("moderation:queue")).content.decode()
    second = mod_client.get(reverse("moderation:queue"), {"page": 2}).content.decode()
    assert f'id="item-{items[0].pk}"' in first and f'id="item-{items[-1].pk}"' not in first
    assert f'id="item-{items[-1].pk}"' in second and f'id="item-{items[0].pk}"' not in second
