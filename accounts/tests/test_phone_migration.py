"""Migrating a populated database: plaintext phone numbers become encrypted, fingerprinted rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.phones import phone_fingerprint
from core import crypto

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0004_user_deletion_requested_at")]
AFTER = [("accounts", "0006_phone_encrypt_existing")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def _raw_numbers(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {table} ORDER BY id")  # noqa: S608 - fixed names
        return [row[0] for row in cursor.fetchall()]


def test_existing_plaintext_numbers_are_encrypted_and_fingerprinted():
    old = _migrate(BEFORE)
    User, PhoneNumber, PhoneChallenge = (old.get_model("accounts", name)
                                         for name in ("User", "PhoneNumber", "PhoneChallenge"))
    now = timezone.now()
    a, b, c = (User.objects.create(email=f"{n}@example.com", password="x") for n in "abc")
    PhoneNumber.objects.create(user=a, number="+8613800138000", confirmed_at=now)
    PhoneNumber.objects.create(user=b, number="+8613900139000", confirmed_at=now)
    PhoneChallenge.objects.create(user=c, number="+8613700137000", code_hash="h" * 64, created_at=now,
                                  expires_at=now)
    assert _raw_numbers("accounts_phonenumber") == ["+8613800138000", "+8613900139000"]  # the old, plaintext form

    try:
        _migrate(AFTER)
        from accounts.models import PhoneChallenge as Challenge
        from accounts.models import PhoneNumber as Number

        assert "number_encrypted" not in _columns("accounts_phonenumber")
        raw = _raw_numbers("accounts_phonenumber") + _raw_numbers("accounts_phonechallenge")
        assert [crypto.decrypt_str(token) for token in raw] == ["+8613800138000", "+8613900139000",
                                                                 "+8613700137000"]
        assert not any("138" in token or "139" in token or "137" in token for token in raw)
        phone = Number.objects.with_number("138 0013 8000").get()
        assert (phone.user_id, phone.number, phone.masked) == (a.pk, "+8613800138000", "138****8000")
        assert phone.fingerprint == phone_fingerprint("+8613800138000")
        challenge = Challenge.objects.get()
        assert challenge.fingerprint == phone_fingerprint("13700137000") and challenge.sent_at is not None

        # And back: the plaintext column returns with the numbers in it.
        _migrate(BEFORE)
        assert _raw_numbers("accounts_phonenumber") == ["+8613800138000", "+8613900139000"]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
