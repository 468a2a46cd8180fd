"""The vouching demo data: vouchers an applicant can ask, one too recent, and a flagged case in the queue."""

import pytest

from accounts.models import Level, LevelSource, User
from verification.vouching.demo import VOUCH_DEMO_VOUCHERS, load_demo_vouching
from verification.vouching.models import VouchCase, VouchCaseStatus
from verification.vouching.selectors import review_item_for_case, voucher_eligibility

pytestmark = pytest.mark.django_db


def test_demo_vouching_is_ready_to_use_and_idempotent():
    load_demo_vouching(password="Demo-pass-2026")
    load_demo_vouching(password="Demo-pass-2026")
    applicant = User.objects.get(email="vouchee@demo.local")
    assert applicant.level == Level.INDIRECT and applicant.check_password("Demo-pass-2026")
    rows = {row.user.email: row for row in voucher_eligibility(applicant)}
    assert len(rows) == len(VOUCH_DEMO_VOUCHERS)
    assert sorted(email for email, row in rows.items() if row.eligible) == [
        "voucher1@demo.local", "voucher2@demo.local", "voucher3@demo.local"]
    assert rows["voucher4@demo.local"].codes == ["friend_recently"]
    for email, *_rest in VOUCH_DEMO_VOUCHERS:
        voucher = User.objects.get(email=email)
        assert voucher.level == Level.VERIFIED and voucher.level_source == LevelSource.DOCUMENT
    case = VouchCase.objects.get()
    assert case.applicant.email == "flagged@demo.local" and case.status == VouchCaseStatus.REVIEW
    item = review_item_for_case(case)
    assert item is not None and {f["code"] for f in item.flags} == {"young_account"}
