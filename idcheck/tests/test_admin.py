import pytest
from django.urls import reverse

from idcheck.admin import yuan
from idcheck.models import IdCheckQuery

from .fakes import fingerprint_of

pytestmark = pytest.mark.django_db


def test_yuan():
    assert (yuan(500), yuan(0), yuan(500_000), yuan(1)) == ("¥5.00", "¥0.00", "¥5,000.00", "¥0.01")


def test_ledger_list_is_read_only_and_shows_the_months_spend(staff_client, settings):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 100_000
    fp = fingerprint_of("11010519491231002X")
    row = IdCheckQuery.objects.create(fingerprint=fp, backend="sandbox", result="match", cost_fen=500)
    IdCheckQuery.objects.create(fingerprint="e" * 64, backend="sandbox", result="error", cost_fen=0)
    page = staff_client.get(reverse("admin:idcheck_idcheckquery_changelist")).content.decode()
    assert "¥5.00 of ¥1,000.00" in page and "¥995.00 left" in page and "2 queries" in page
    assert fp[:12] in page and fp not in page
    assert "11010519491231002X" not in page
    assert staff_client.get(reverse("admin:idcheck_idcheckquery_add")).status_code == 403
    change = staff_client.get(reverse("admin:idcheck_idcheckquery_change", args=[row.pk]))
    assert change.status_code == 200 and 'name="result"' not in change.content.decode()
    staff_client.post(reverse("admin:idcheck_idcheckquery_change", args=[row.pk]), {"result": "mismatch"})
    row.refresh_from_db()
    assert row.result == "match"


def test_ledger_list_is_for_staff_only(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:idcheck_idcheckquery_changelist"))
    assert response.status_code == 302
