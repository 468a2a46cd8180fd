"""The beat task: a reminder 30 days before a qualification ends and a notice when it lapsed, each once."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from publicaccounts.models import QualificationStatus
from publicaccounts.tasks import qualifications_remind

from .factories import make_account, make_qualification

pytestmark = pytest.mark.django_db


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def _kinds(user):
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def test_reminder_then_lapse_notice_each_once(owner, time_machine, settings):
    settings.QUALIFICATION_REMINDER_DAYS = 30
    today = timezone.localdate()
    account = make_account(owner, name="Garden", handle="garden")
    q = make_qualification(account, valid_until=today + timedelta(days=45))

    time_machine.move_to(_at(today + timedelta(days=14)))  # 31 days left: too early
    assert qualifications_remind.delay().get() == {"reminded": 0, "lapsed": 0}

    time_machine.move_to(_at(today + timedelta(days=15)))  # 30 days left
    assert qualifications_remind.delay().get() == {"reminded": 1, "lapsed": 0}
    assert qualifications_remind.delay().get() == {"reminded": 0, "lapsed": 0}  # every 6 hours: still once
    q.refresh_from_db()
    assert q.reminder_sent_at is not None
    notice = Notification.objects.get(user=owner, kind="qualification.expiring")
    assert notice.title == f"The news qualification of “Garden” ends on {q.valid_until:%m/%d/%Y}"

    time_machine.move_to(_at(q.valid_until, hour=23))  # the last valid day: nothing new
    assert qualifications_remind.delay().get() == {"reminded": 0, "lapsed": 0}

    time_machine.move_to(_at(q.valid_until + timedelta(days=1), hour=0))  # lapsed at midnight
    assert qualifications_remind.delay().get() == {"reminded": 0, "lapsed": 1}
    assert qualifications_remind.delay().get() == {"reminded": 0, "lapsed": 0}
    assert _kinds(owner) == ["qualification.expiring", "qualification.lapsed"]
    q.refresh_from_db()
    assert q.lapsed_notice_sent_at is not None


def test_a_short_licence_gets_its_reminder_at_once(owner):
    q = make_qualification(make_account(owner), valid_until=timezone.localdate() + timedelta(days=5))
    assert qualifications_remind() == {"reminded": 1, "lapsed": 0}
    q.refresh_from_db()
    assert q.reminder_sent_at is not None


@pytest.mark.parametrize("status", [QualificationStatus.PENDING, QualificationStatus.REJECTED,
                                    QualificationStatus.REVOKED])
def test_only_approved_qualifications_are_reminded(owner, time_machine, status):
    today = timezone.localdate()
    make_qualification(make_account(owner), status=status, valid_until=today + timedelta(days=10))
    assert qualifications_remind() == {"reminded": 0, "lapsed": 0}
    time_machine.move_to(_at(today + timedelta(days=20)))
    assert qualifications_remind() == {"reminded": 0, "lapsed": 0}
    assert not Notification.objects.exists()


def test_the_reminder_is_in_the_owners_language(owner):
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    make_qualification(make_account(owner, name="花园"), valid_until=timezone.localdate() + timedelta(days=5))
    qualifications_remind()
    # Rendered in the owner's language at creation (Chinese date format; the words once translated).
    notice = Notification.objects.get(user=owner)
    assert "花园" in notice.title
    day = timezone.localdate() + timedelta(days=5)
    assert f"{day.year}年{day.month}月{day.day}日" in notice.title
