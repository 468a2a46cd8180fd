"""On a real PostgreSQL: marking a vouched identity false while a voucher confirms another friend's vouch.

With one audit head row locked by every audited write, the two transactions took their locks in opposite
orders (the marking held the head and wanted the voucher's row; the confirmation held the voucher's row and
wanted the head) and PostgreSQL broke the cycle with "deadlock detected". Audit writers now lock nothing
shared, so both succeed.
"""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from moderation import audit
from moderation.models import AuditEntry
from verification.conftest import make_moderator
from verification.vouching import accountability
from verification.vouching.models import VouchCaseStatus, VouchRequest
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import befriend, circle, confirm, confirm_all, make_applicant, make_voucher, start_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_on_a_lock(n: int, *, timeout: float = 5.0) -> bool:
    """Wait until `n` other backends of this database wait for a lock (or give up after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0] >= n:
                return True
        time.sleep(0.05)
    return False


def test_marking_false_while_a_voucher_confirms_elsewhere_does_not_deadlock():
    applicant, vouchers = circle(3)
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED
    # The second voucher is asked by another friend meanwhile.
    other = make_applicant()
    befriend(other, vouchers[1])
    other_case = start_case(other, [vouchers[1], *[make_voucher(other) for _ in range(2)]])
    moderator = make_moderator()

    results: dict = {}
    started = threading.Event()
    release = threading.Event()

    def staff_work_in_progress():
        # Another audited staff action whose transaction is still open (a slow page, a long service).
        try:
            with transaction.atomic():
                audit.record(actor=moderator, action="test.slow_staff_work")
                started.set()
                release.wait(timeout=15)
        finally:
            connection.close()

    def mark_false():
        try:
            results["mark_false"] = accountability.vouch_identity_mark_false(
                case=case, moderator=moderator, note="The document behind it was forged.")
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results["mark_false"] = exc
        finally:
            connection.close()

    def friend_confirms():
        try:
            results["confirm"] = confirm(other_case, vouchers[1])
        except Exception as exc:  # noqa: BLE001
            results["confirm"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=staff_work_in_progress)]
    threads[0].start()
    assert started.wait(timeout=10)
    # The marking starts first: it locks the first voucher and waits to append its first entry...
    threads.append(threading.Thread(target=mark_false))
    threads[-1].start()
    _waiting_on_a_lock(1, timeout=2)
    # ...then the second voucher confirms another friend's case: their row is locked, an entry is appended.
    threads.append(threading.Thread(target=friend_confirms))
    threads[-1].start()
    _waiting_on_a_lock(2, timeout=2)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    assert not isinstance(results["mark_false"], Exception), results["mark_false"]
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.FALSE_IDENTITY
    # The confirmation either went first (and counts) or came after the strike and is refused in words:
    # never a database error (with one locked head row: "deadlock detected", a 500).
    confirmed = results["confirm"]
    if isinstance(confirmed, ValidationError):
        assert confirmed.code == "ineligible", confirmed
        assert VouchRequest.objects.get(case=other_case, voucher=vouchers[1]).status != "confirmed"
    else:
        assert not isinstance(confirmed, Exception), confirmed
        assert VouchRequest.objects.get(case=other_case, voucher=vouchers[1]).status == "confirmed"
    assert AuditEntry.objects.filter(action="vouch.false_identity").count() == 1
    # Everything committed was chained after its commit, in one unbroken chain.
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 0
    assert audit.verify_chain() == []
