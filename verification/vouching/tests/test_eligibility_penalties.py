"""Penalties and account states decide who may vouch: real rungs of the ladder, real deletions, no stand-ins.

Each test puts a voucher in a real state through the services that create it (moderation's ladder, the
deletion request) and checks what the applicant's page lists, what the voucher may confirm, and what
they read when refused.
"""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts import deletion
from accounts.tests.factories import Level2UserFactory
from moderation import ladder
from moderation.models import TIMED_RUNGS, Rule, Rung
from verification.vouching.models import VouchCaseStatus, VouchRequestStatus
from verification.vouching.selectors import voucher_eligibility
from verification.vouching.tests.helpers import (
    circle,
    confirm,
    make_applicant,
    make_voucher,
    request_of,
    start_case,
    unique_id_number,
)

pytestmark = pytest.mark.django_db

VOUCH, VOUCHES = "/verify/vouch/", "/verify/vouches/"
PENALTY_TEXT = "Under a restriction that does not allow vouching at the moment."


@pytest.fixture
def senior(db):
    """A senior moderator: may apply every rung, closing included."""
    user = Level2UserFactory()
    for name in ("moderator", "senior moderator"):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def penalise(user, rung, *, moderator, days=7):
    """One rung of the ladder through the service the queue and the console use."""
    return ladder.penalty_apply(target_user=user, action=rung, rule=Rule.COMMUNITY, reason="Spam links",
                                duration_days=days if rung in TIMED_RUNGS else None, moderator=moderator,
                                ban_days="forever" if rung == Rung.CLOSE else None)


def _page(user) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="114.114.114.114")
    client.force_login(user)
    response = client.get(VOUCH)
    assert response.status_code == 200
    return response.content.decode()


def _row_html(html: str, user) -> str:
    """The <li> of one friend on the applicant's page ('' when the friend is not listed)."""
    start = html.find(f'id="friend-{user.pk}"')
    if start < 0:
        return ""
    return html[start:html.find("</li>\n", html.find(f'id="voucher-{user.pk}"'))]


def _checkbox(html: str, user) -> str:
    start = html.index(f'id="voucher-{user.pk}"')
    return html[html.rindex("<input", 0, start):html.index(">", start)]


# --- What the applicant sees, rung by rung ----------------------------------------------------

# Warning and restricted publishing leave vouching open; a suspension takes it away.
RUNGS = [
    (Rung.WARN, []),
    (Rung.RESTRICT, []),
    (Rung.SUSPEND, ["penalty"]),
]


@pytest.mark.parametrize(("rung", "codes"), RUNGS, ids=[r.name.lower() for r, _ in RUNGS])
def test_a_rung_of_the_ladder_decides_whether_a_friend_may_vouch(senior, rung, codes):
    applicant = make_applicant()
    voucher = make_voucher(applicant)
    penalise(voucher, rung, moderator=senior)

    [row] = voucher_eligibility(applicant)
    assert row.user == voucher and row.codes == codes

    html = _page(applicant)
    row_html = _row_html(html, voucher)
    assert voucher.display_name in row_html
    if codes:
        assert 'data-eligible="no"' in row_html and PENALTY_TEXT in row_html
        assert "disabled" in _checkbox(html, voucher)
    else:
        assert 'data-eligible="yes"' in row_html and PENALTY_TEXT not in html
        assert "disabled" not in _checkbox(html, voucher)


def test_a_closed_friend_is_not_offered_at_all(senior):
    applicant = make_applicant()
    kept, closed = make_voucher(applicant), make_voucher(applicant)
    penalise(closed, Rung.CLOSE, moderator=senior)

    assert [row.user for row in voucher_eligibility(applicant)] == [kept]
    html = _page(applicant)
    assert _row_html(html, closed) == "" and f'value="{closed.pk}"' not in html
    assert _row_html(html, kept) and 'data-eligible="yes"' in _row_html(html, kept)


def test_the_suspended_friend_is_listed_after_the_eligible_ones(senior):
    applicant = make_applicant()
    suspended, fine = make_voucher(applicant), make_voucher(applicant)
    penalise(suspended, Rung.SUSPEND, moderator=senior)
    assert [row.user for row in voucher_eligibility(applicant)] == [fine, suspended]
    html = _page(applicant)
    assert html.index(f'id="friend-{fine.pk}"') < html.index(f'id="friend-{suspended.pk}"')


def test_a_suspension_that_ran_out_no_longer_counts(senior):
    applicant = make_applicant()
    voucher = make_voucher(applicant)
    penalise(voucher, Rung.SUSPEND, moderator=senior, days=3)
    assert voucher_eligibility(applicant)[0].codes == ["penalty"]
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        [row] = voucher_eligibility(applicant)
        assert row.eligible
        html = _page(applicant)
        assert PENALTY_TEXT not in html and "disabled" not in _checkbox(html, voucher)


def test_an_overturned_suspension_no_longer_counts(senior):
    applicant = make_applicant()
    voucher = make_voucher(applicant)
    penalty = penalise(voucher, Rung.SUSPEND, moderator=senior, days=30)
    assert PENALTY_TEXT in _row_html(_page(applicant), voucher)
    ladder.penalty_overturn(penalty=penalty, actor=senior, reason="Appeal upheld")
    [row] = voucher_eligibility(applicant)
    assert row.eligible
    html = _page(applicant)
    assert PENALTY_TEXT not in html and 'data-eligible="yes"' in _row_html(html, voucher)


def test_a_friend_waiting_for_deletion_is_hidden_until_they_cancel(senior):
    applicant = make_applicant()
    voucher = make_voucher(applicant)
    deletion.deletion_start(user=voucher)
    assert voucher_eligibility(applicant) == []
    html = _page(applicant)
    assert _row_html(html, voucher) == "" and voucher.display_name not in html
    deletion.deletion_cancel(user=voucher)
    [row] = voucher_eligibility(applicant)
    assert row.eligible and 'data-eligible="yes"' in _row_html(_page(applicant), voucher)


def test_a_deletion_request_after_the_ask_refuses_the_confirmation():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    deletion.deletion_start(user=vouchers[0])
    with pytest.raises(ValidationError):
        confirm(case, vouchers[0])
    assert request_of(case, vouchers[0]).status == VouchRequestStatus.PENDING


# --- Asking: the service refuses what the page does not offer ---------------------------------

def test_asking_a_suspended_friend_is_refused_and_nothing_is_stored(senior):
    applicant, vouchers = circle(3)
    penalise(vouchers[1], Rung.SUSPEND, moderator=senior)
    with pytest.raises(ValidationError) as refused:
        start_case(applicant, vouchers)
    assert PENALTY_TEXT in str(refused.value)
    assert not applicant.vouch_cases.exists()


def test_the_page_refuses_a_suspended_friend_posted_anyway(senior):
    applicant, vouchers = circle(3)
    penalise(vouchers[0], Rung.SUSPEND, moderator=senior)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="114.114.114.114")
    client.force_login(applicant)
    response = client.post(VOUCH, {"kind": "resident_id", "real_name": "张三", "document_number": unique_id_number(),
                                   "vouchers": [v.pk for v in vouchers]})
    assert response.status_code == 400
    assert not applicant.vouch_cases.exists()
    html = response.content.decode()
    assert "Your friends have been asked" not in html and PENALTY_TEXT in _row_html(html, vouchers[0])


# --- Confirming: the rules are checked again --------------------------------------------------

def test_a_suspension_after_the_ask_refuses_the_confirmation_and_says_why(senior):
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    suspended = vouchers[2]
    penalise(suspended, Rung.SUSPEND, moderator=senior)

    with pytest.raises(ValidationError) as refused:
        confirm(case, suspended)
    assert PENALTY_TEXT in str(refused.value)
    assert request_of(case, suspended).status == VouchRequestStatus.PENDING

    vouch_request = request_of(case, suspended)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="114.114.114.114")
    client.force_login(suspended)
    response = client.post(f"{VOUCHES}{vouch_request.pk}/confirm/", {"statement": "on"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "You cannot vouch right now." in html and PENALTY_TEXT in html
    assert "Thank you. Your confirmation is recorded." not in html
    assert request_of(case, suspended).status == VouchRequestStatus.PENDING


@pytest.mark.parametrize("rung", [Rung.WARN, Rung.RESTRICT], ids=["warn", "restrict"])
def test_a_lighter_rung_after_the_ask_still_lets_the_friend_confirm(senior, rung):
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    penalise(vouchers[0], rung, moderator=senior)
    assert confirm(case, vouchers[0]).status == VouchRequestStatus.CONFIRMED


def test_a_closure_after_the_ask_refuses_the_confirmation(senior):
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    penalise(vouchers[1], Rung.CLOSE, moderator=senior)
    with pytest.raises(ValidationError):
        confirm(case, vouchers[1])
    assert request_of(case, vouchers[1]).status == VouchRequestStatus.PENDING
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.COLLECTING


def test_the_third_confirmation_from_an_overturned_suspension_reaches_the_quorum(senior):
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    confirm(case, vouchers[1])
    penalty = penalise(vouchers[2], Rung.SUSPEND, moderator=senior)
    with pytest.raises(ValidationError):
        confirm(case, vouchers[2])
    ladder.penalty_overturn(penalty=penalty, actor=senior, reason="Wrong account")
    confirm(case, vouchers[2])
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE
