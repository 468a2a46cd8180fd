import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from accounts import services
from accounts.masking import mask_document_number, mask_name
from accounts.models import RealIdentity

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"


def _raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT real_name, document_number, fingerprint FROM accounts_realidentity WHERE id = %s", [pk])
        return cursor.fetchone()


def test_identity_is_encrypted_at_rest_and_readable_through_the_model(user):
    identity = services.identity_store(user=user, real_name="张三", document_type="resident_id",
                                       document_number=NUMBER.lower())
    raw_name, raw_number, fingerprint = _raw_row(identity.pk)
    assert "张三" not in raw_name and NUMBER not in raw_number and NUMBER.lower() not in raw_number
    assert NUMBER not in fingerprint
    fresh = RealIdentity.objects.get(pk=identity.pk)
    assert (fresh.real_name, fresh.document_number) == ("张三", NUMBER)


def test_fingerprint_is_the_same_for_spaced_and_lower_case_forms(user):
    a = services.identity_store(user=user, real_name="张三", document_type="resident_id", document_number=NUMBER)
    b = services.identity_store(user=user, real_name="张三", document_type="resident_id",
                                document_number="110105 19491231 002x")
    assert a.fingerprint == b.fingerprint
    assert services.identity_accounts_with_fingerprint(fingerprint=a.fingerprint).get() == user


def test_fingerprint_depends_on_the_secret_key(user, settings):
    a = services.identity_fingerprint(document_type="resident_id", normalised_number=NUMBER)
    settings.IDENTITY_HMAC_KEY = "another-key"
    assert services.identity_fingerprint(document_type="resident_id", normalised_number=NUMBER) != a


@pytest.mark.parametrize(("number", "message"), [
    ("110105194912310022", "check digit"),
    ("110105194913310021", "region or birth date"),
    ("990105194912310023", "region or birth date"),
    ("1101051949", "18 characters"),
    ("110105209912310010", "future"),
])
def test_invalid_resident_id_numbers_are_refused_with_a_clear_reason(user, number, message):
    with pytest.raises(ValidationError) as excinfo:
        services.identity_store(user=user, real_name="张三", document_type="resident_id", document_number=number)
    text = " ".join(excinfo.value.message_dict["document_number"])
    assert message in text
    assert number not in text
    assert not RealIdentity.objects.exists()


def test_other_documents_are_checked_by_format(user):
    services.identity_store(user=user, real_name="Li Lei", document_type="passport", document_number="E1234 5678")
    with pytest.raises(ValidationError):
        services.identity_store(user=user, real_name="Li Lei", document_type="passport", document_number="<script>")


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("John Smith", "J*** S****")])
def test_name_masking(name, masked):
    assert mask_name(name) == masked


def test_number_masking():
    assert mask_document_number(NUMBER) == "1101**********002X"
    assert mask_document_number("E12345678") == "E******78"


def test_key_rotation_reencrypts_with_the_new_key(user, settings):
    identity = services.identity_store(user=user, real_name="张三", document_type="resident_id", document_number=NUMBER)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("reencrypt_identities")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    fresh = RealIdentity.objects.get(pk=identity.pk)
    assert (fresh.real_name, fresh.document_number) == ("张三", NUMBER)
    raw_name = _raw_row(identity.pk)[0]
    assert Fernet(new_key.encode()).decrypt(raw_name.encode()).decode() == "张三"


def test_identity_never_appears_in_logs(user, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    services.identity_store(user=user, real_name="张三", document_type="resident_id", document_number=NUMBER)
    with pytest.raises(ValidationError):
        services.identity_store(user=user, real_name="张三", document_type="resident_id",
                                document_number="110105194912310022")
    assert "张三" not in caplog.text and NUMBER not in caplog.text and "110105194912310022" not in caplog.text
