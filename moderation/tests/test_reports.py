"""Reports: merging into one case, the snapshot, the daily limit, the report page, the queue's decisions."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import Notification, User
from accounts.policy import Action
from accounts.tests.factories import Level1UserFactory, Level2UserFactory, UserFactory
from conftest import mfa_login
from moderation import registry, reports, selectors, services
from moderation.models import AuditEntry, CaseOutcome, ItemStatus, Penalty, Report, ReportCase, ReviewItem, Rung, Strike

from .conftest import CONTENT_KEY, PUBLIC_KEY, REMOVED_PREFIX, apply_rung, make_moderator

pytestmark = pytest.mark.django_db


def _report(reporter, obj, *, key=CONTENT_KEY, category="fraud", text="") -> Report:
    return reports.report_create(reporter=reporter, target_key=key, obj=obj, category=category, text=text)


@pytest.fixture
def author(content_target):
    user = Level1UserFactory(language="en")
    user.profile.bio = "Buy cheap followers at example.test"
    user.profile.save()
    return user


# --- Reporting --------------------------------------------------------------------------------

def test_reports_on_one_target_merge_into_one_case_with_a_count(author):
    first, second, third = Level1UserFactory(), Level1UserFactory(), Level1UserFactory()
    r1 = _report(first, author.profile, category="fraud", text="spam")
    r2 = _report(second, author.profile, category="rumour")
    r3 = _report(third, author.profile, category="fraud")
    assert r1.case_id == r2.case_id == r3.case_id
    case = ReportCase.objects.get()
    item = case.item
    assert case.report_count == 3 and item.kind == "report" and item.subject == author and item.target == author.profile
    assert "3 reports" in item.summary
    assert ReviewItem.objects.filter(kind="report").count() == 1
    # The same reporter again: no second report, no higher count.
    assert _report(first, author.profile, category="other") == r1
    assert ReportCase.objects.get().report_count == 3


def test_the_snapshot_is_taken_at_the_first_report_and_survives_deletion(author):
    _report(Level1UserFactory(), author.profile)
    author.profile.bio = "Edited to look innocent"
    author.profile.save()
    _report(Level1UserFactory(), author.profile)
    case = ReportCase.objects.get()
    assert case.snapshot["text"] == "Buy cheap followers at example.test"
    assert case.snapshot["images"] == [f"img/{author.profile.pk}.jpg"] and case.snapshot["label"] == "Test content"
    author.profile.delete()
    case.refresh_from_db()
    assert case.snapshot["text"] == "Buy cheap followers at example.test" and case.owner == author
    assert case.item.target is None


def test_a_decided_case_is_history_and_a_new_report_opens_a_new_case(author, moderator):
    _report(Level1UserFactory(), author.profile)
    item = ReviewItem.objects.get(kind="report")
    services.review_item_claim(item=item, reviewer=moderator)
    services.review_item_decide(item=item, reviewer=moderator, decision="dismiss")
    _report(Level1UserFactory(), author.profile)
    assert ReportCase.objects.count() == 2
    assert ReviewItem.objects.filter(kind="report", status=ItemStatus.OPEN).count() == 1


def test_daily_limit_is_counted_in_the_database(author, settings, content_target):
    settings.REPORTS_PER_DAY = 2
    reporter = Level1UserFactory()
    targets = [Level1UserFactory().profile for _ in range(3)]
    _report(reporter, targets[0])
    _report(reporter, targets[1])
    with pytest.raises(reports.ReportError, match="most reports"):
        _report(reporter, targets[2])
    # Nothing of the refused report remains, not even a queue item.
    assert Report.objects.count() == 2 and ReviewItem.objects.filter(kind="report").count() == 2
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        _report(reporter, targets[2])
    assert Report.objects.count() == 3


def test_level_0_may_not_report_and_nobody_reports_themselves(author):
    with pytest.raises(policy.PolicyDenied):
        _report(UserFactory(), author.profile)
    with pytest.raises(reports.ReportError):
        _report(author, author.profile)
    with pytest.raises(reports.ReportError):
        _report(Level1UserFactory(), author.profile, category="bogus")


def test_a_suspended_user_may_still_report(author, moderator):
    reporter = Level1UserFactory()
    apply_rung(reporter, Rung.SUSPEND, moderator=moderator)
    assert _report(User.objects.get(pk=reporter.pk), author.profile).pk


def test_the_user_target_is_registered_by_moderation():
    reporter, other = Level1UserFactory(), Level1UserFactory()
    other.profile.bio = "I am the real bank manager"
    other.profile.save()
    _report(reporter, other, key="user", category="impersonation")
    case = ReportCase.objects.get()
    assert case.owner == other and case.target_key == "user"
    assert case.snapshot["title"] == other.profile.nickname and case.snapshot["text"] == "I am the real bank manager"


# --- The report page --------------------------------------------------------------------------

def test_report_page_get_and_post(client, author):
    reporter = Level1UserFactory()
    client.force_login(reporter)
    url = reverse("moderation_public:report", args=[CONTENT_KEY, author.profile.pk])
    response = client.get(url)
    assert response.status_code == 200 and "Rumour or false information" in response.content.decode()
    response = client.post(url, {"category": "harassment", "text": "nasty", "next": "/friends/"})
    assert response.status_code == 302 and response["Location"] == "/friends/"
    report = Report.objects.get()
    assert report.reporter == reporter and report.category == "harassment" and report.text == "nasty"


def test_report_page_keeps_what_was_typed_on_refusal(client, author, settings):
    settings.REPORTS_PER_DAY = 0
    client.force_login(Level1UserFactory())
    response = client.post(reverse("moderation_public:report", args=[CONTENT_KEY, author.profile.pk]),
                           {"category": "fraud", "text": "my careful words"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "my careful words" in html and "most reports" in html


def test_report_page_shows_how_to_unlock_for_level_0(client, author):
    client.force_login(UserFactory())
    response = client.get(reverse("moderation_public:report", args=[CONTENT_KEY, author.profile.pk]))
    assert response.status_code == 200 and "/me/phone/" in response.content.decode()
    client.post(reverse("moderation_public:report", args=[CONTENT_KEY, author.profile.pk]), {"category": "fraud"})
    assert not Report.objects.exists()


def test_report_page_is_404_for_what_cannot_be_seen(client, author):
    client.force_login(Level1UserFactory())
    assert client.get(reverse("moderation_public:report", args=["nope", 1])).status_code == 404
    assert client.get(reverse("moderation_public:report", args=[CONTENT_KEY, 999999])).status_code == 404
    author.profile.bio = "hidden from you"
    author.profile.save()
    assert client.get(reverse("moderation_public:report", args=[CONTENT_KEY, author.profile.pk])).status_code == 404


def test_report_link_snippet(rf, author):
    from django.template.loader import render_to_string

    request = rf.get("/somewhere/")
    viewer = Level1UserFactory()
    html = render_to_string("moderation/report_link.html", {
        "user": viewer, "request": request, "target_key": CONTENT_KEY, "obj": author.profile, "owner_id": author.pk})
    assert f"/report/{CONTENT_KEY}/{author.profile.pk}/?next=/somewhere/" in html
    assert render_to_string("moderation/report_link.html", {
        "user": author, "request": request, "target_key": CONTENT_KEY, "obj": author.profile,
        "owner_id": author.pk}).strip() == ""


# --- Deciding a report case ---------------------------------------------------------------------

@pytest.fixture
def case_item(author):
    _report(Level1UserFactory(language="en"), author.profile, category="fraud")
    _report(Level1UserFactory(language="en"), author.profile, category="rumour")
    return ReviewItem.objects.get(kind="report")


def _decide(item, reviewer, decision, note="Selling followers", **extra):
    services.review_item_claim(item=item, reviewer=reviewer)
    return services.review_item_decide(item=item, reviewer=reviewer, decision=decision, note=note, extra=extra)


def test_dismissal_tells_the_reporters_no_violation_was_found(case_item, moderator):
    _decide(case_item, moderator, "dismiss", note="")
    case = ReportCase.objects.get()
    assert case.outcome == CaseOutcome.DISMISSED and case.penalty is None
    notes = Notification.objects.filter(kind="report.outcome")
    assert notes.count() == 2 and all(n.title == "Your report: no violation found" for n in notes)
    assert not Penalty.objects.exists()


def test_action_applies_the_rung_removes_the_content_and_tells_everyone(case_item, moderator, author):
    _decide(case_item, moderator, "warn", rule="community", remove_content=True)
    case = ReportCase.objects.get()
    penalty = case.penalty
    assert case.outcome == CaseOutcome.ACTION and penalty.action == Rung.WARN and penalty.user == author
    assert penalty.case == case_item and penalty.removed == {"key": CONTENT_KEY, "pk": author.profile.pk}
    author.profile.refresh_from_db()
    assert author.profile.bio.startswith(REMOVED_PREFIX)
    assert {n.title for n in Notification.objects.filter(kind="report.outcome")} == {"Your report: action taken"}
    assert Notification.objects.filter(user=author, kind="penalty.warn").exists()
    entry = AuditEntry.objects.get(action="penalty.warn")
    assert entry.data["suggested"] == Rung.WARN and entry.data["case"] == case_item.pk


def test_restrict_with_a_custom_duration(case_item, moderator, author):
    _decide(case_item, moderator, "restrict", rule="public_order", duration="custom", custom_days=3,
            rung_reason="Paid spam ring")
    penalty = Penalty.objects.get()
    assert penalty.action == Rung.RESTRICT and (penalty.ends_at - penalty.created_at) == timedelta(days=3)
    entry = AuditEntry.objects.get(action="penalty.restrict")
    # The free text is in the erasable note, not in the entry's data.
    assert entry.data["rung_reason_given"] is True and "Paid spam ring" not in json.dumps(entry.data)
    assert "Paid spam ring" in entry.reason


@pytest.mark.parametrize(("decision", "extra", "message"), [
    ("warn", {}, "rule"),
    ("restrict", {"rule": "laws", "rung_reason": "x"}, "how long"),
    ("restrict", {"rule": "laws", "duration": "custom", "rung_reason": "x"}, "number of days"),
    ("suspend", {"rule": "laws", "duration": "7"}, "suggested"),
])
def test_incomplete_decisions_are_refused_by_the_queue(case_item, moderator, decision, extra, message):
    with pytest.raises(services.QueueError, match=message):
        _decide(case_item, moderator, decision, **extra)
    assert ReviewItem.objects.get(pk=case_item.pk).status == ItemStatus.CLAIMED
    assert not Penalty.objects.exists()


def test_an_action_needs_a_reason_for_the_user(case_item, moderator):
    with pytest.raises(services.QueueError, match="note"):
        _decide(case_item, moderator, "warn", note="", rule="laws")


def test_closing_is_offered_to_senior_moderators_only(case_item, moderator, senior, author):
    services.review_item_claim(item=case_item, reviewer=moderator)
    kind = registry.get("report")
    assert "close" not in {o.code for o in kind.options(item=case_item, obj=author.profile, reviewer=moderator)}
    with pytest.raises(services.QueueError, match="not available"):
        services.review_item_decide(item=case_item, reviewer=moderator, decision="close", note="x",
                                    extra={"rule": "laws", "ban": "forever", "rung_reason": "x"})
    services.review_item_release(item=case_item, reviewer=moderator)
    _decide(case_item, senior, "close", rule="laws", ban="days", ban_days=365, rung_reason="Organised fraud")
    assert selectors.user_is_closed(User.objects.get(pk=author.pk))


def test_action_on_the_public_account_of_reported_content(public_target, moderator):
    operator = Level2UserFactory()
    _report(Level1UserFactory(), operator.phone, key=PUBLIC_KEY)
    item = ReviewItem.objects.get(kind="report")
    _decide(item, moderator, "warn", rule="authenticity", apply_to="public_account")
    penalty = Penalty.objects.get()
    assert penalty.user is None and penalty.public_account == operator.phone and penalty.owner == operator


def test_a_deleted_target_can_still_be_decided_on_its_owner(case_item, moderator, author):
    author.profile.delete()
    item = ReviewItem.objects.get(pk=case_item.pk)
    _decide(item, moderator, "warn", rule="community", remove_content=True)
    assert Penalty.objects.get().user == author and Penalty.objects.get().removed == {}


# --- The item page ----------------------------------------------------------------------------

def test_item_page_shows_snapshot_count_categories_strikes_and_suggestion(client, case_item, moderator, author):
    apply_rung(author, Rung.WARN, moderator=make_moderator(), rule="authenticity")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, moderator)
    client.post(reverse("moderation:claim", args=[case_item.pk]))
    html = client.get(reverse("moderation:item", args=[case_item.pk])).content.decode()
    for text in ("Buy cheap followers at example.test", "2 reports", "Fraud: 1", "Rumour or false information: 1",
                 "The authenticity of information", "Suggested action:", "Restrict publishing",
                 'name="rule"', 'name="duration"', 'name="remove_content"', 'name="rung_reason"'):
        assert text in html, text
    # The suggested rung is preselected; closing is not offered to a plain moderator, nor its ban fields.
    assert re.search(r'value="restrict"[^>]*checked', html) and not re.search(r'value="warn"[^>]*checked', html)
    assert 'value="close"' not in html and 'name="ban"' not in html


def test_deciding_through_the_page(client, case_item, moderator, author):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, moderator)
    client.post(reverse("moderation:claim", args=[case_item.pk]))
    url = reverse("moderation:decide", args=[case_item.pk])
    response = client.post(url, {"decision": "suspend", "note": "Scam", "rule": "laws", "duration": "7"})
    assert response.status_code == 400 and "say why" in response.content.decode()
    assert not Penalty.objects.exists()
    response = client.post(url, {"decision": "suspend", "note": "Scam", "rule": "laws", "duration": "7",
                                 "rung_reason": "Repeated after a private warning", "remove_content": "on"})
    assert response.status_code == 302
    penalty = Penalty.objects.get()
    assert penalty.action == Rung.SUSPEND and penalty.ends_at - penalty.created_at == timedelta(days=7)
    assert Strike.objects.get().user == author
    assert not policy.check(User.objects.get(pk=author.pk), Action.EDIT_PROFILE)
