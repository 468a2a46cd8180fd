"""Migrations keep existing data: a populated database is migrated forward and read through today's models.

Rows are written with the historical models of an early state (documents only, then vouching's first
migration), then every migration up to the newest runs over them. A future migration that loses or
garbles them (a moved model, a renamed table, a rewritten column) fails here.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import IdentityStatus
from verification.documents.models import DocumentImage, DocumentSubmission, SubmissionStatus
from verification.vouching.models import VouchCase, VouchCaseStatus, VoucherStrike, VouchRequest, VouchRequestStatus

pytestmark = pytest.mark.django_db(transaction=True)

# Before vouching existed, and vouching's first migration.
DOCUMENTS_ONLY = [("verification", "0002_seed_document_kinds")]
FIRST_VOUCHING = [("verification", "0003_vouching")]


def _migrate(targets):
    """Migrate to `targets` and return the historical models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _identity(apps, user, *, name: str, number: str, status: str):
    # The historical RealIdentity has the same encrypted field class: the row is stored as today's would be.
    return apps.get_model("accounts", "RealIdentity").objects.create(
        user=user, real_name=name, document_type="resident_id", document_number=number,
        fingerprint=f"fp-{number}", status=status)


def _user(apps, email: str, level: int = 1):
    return apps.get_model("accounts", "User").objects.create(email=email, password="!", level=level)


def test_documents_and_vouch_cases_written_by_old_migrations_read_through_todays_models():
    try:
        old = _migrate(DOCUMENTS_ONLY)
        assert "verification_vouchcase" not in connection.introspection.table_names()  # really the early state
        owner = _user(old, "owner@example.com", level=2)
        kind = old.get_model("verification", "DocumentKind").objects.get(code="resident_id")
        decided = timezone.now() - timedelta(days=1)
        submission = old.get_model("verification", "DocumentSubmission").objects.create(
            user=owner, kind=kind, status="approved", decided_at=decided,
            identity=_identity(old, owner, name="张三", number="11010519491231002X", status=IdentityStatus.CONFIRMED))
        for side in (1, 2):
            old.get_model("verification", "DocumentImage").objects.create(submission=submission, side=side,
                                                                          sha256=f"{side}" * 64)

        vouching = _migrate(FIRST_VOUCHING)
        users = vouching.get_model("accounts", "User").objects
        applicant, voucher = _user(vouching, "applicant@example.com"), users.get(pk=owner.pk)
        case = vouching.get_model("verification", "VouchCase").objects.create(
            applicant=applicant, document_kind_id=kind.pk, status="collecting",
            identity=_identity(vouching, applicant, name="李四", number="110101199003071233",
                               status=IdentityStatus.PENDING))
        vouching.get_model("verification", "VouchRequest").objects.create(
            case=case, voucher=voucher, applicant=applicant, status="confirmed",
            expires_at=timezone.now() + timedelta(days=7))
        vouching.get_model("verification", "VoucherStrike").objects.create(user=voucher, case=case,
                                                                            reason="false_identity")

        _latest()
    finally:
        # Whatever happened above, the next tests find the newest schema.
        _latest()

    stored = DocumentSubmission.objects.select_related("user", "kind", "identity").get(pk=submission.pk)
    assert stored.status == SubmissionStatus.APPROVED and stored.decided_at == decided
    assert (stored.user.email, stored.kind.code) == ("owner@example.com", "resident_id")
    assert (stored.identity.real_name, stored.identity.document_number) == ("张三", "11010519491231002X")
    assert sorted(DocumentImage.objects.filter(submission=stored).values_list("side", flat=True)) == [1, 2]

    stored_case = VouchCase.objects.select_related("applicant", "identity", "document_kind").get(pk=case.pk)
    assert stored_case.status == VouchCaseStatus.COLLECTING and stored_case.document_kind.code == "resident_id"
    assert (stored_case.applicant.email, stored_case.identity.real_name) == ("applicant@example.com", "李四")
    request = VouchRequest.objects.get(case=stored_case)
    assert request.status == VouchRequestStatus.CONFIRMED and request.voucher_id == owner.pk
    assert VoucherStrike.objects.get(case=stored_case).user_id == owner.pk
    # The models still move through their declared graphs on rows that came through the migrations.
    stored_case.transition(to=VouchCaseStatus.WITHDRAWN)
    stored_case.save(update_fields=["status"])
    assert VouchCase.objects.get(pk=case.pk).status == VouchCaseStatus.WITHDRAWN
