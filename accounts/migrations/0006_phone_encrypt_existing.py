"""Encrypt and fingerprint every stored phone number, then drop the plaintext columns.

Old challenges were already sent (their code went out before this release), so they are marked sent.
Reversible: going back decrypts into a plaintext column again.
"""

from django.db import migrations
import phonenumber_field.modelfields
from django.utils import timezone

from accounts.phones import FINGERPRINT_PURPOSE, phone_fingerprint, phone_normalise
from core import crypto

BATCH = 500


def _normal_and_fingerprint(value) -> tuple[str, str]:
    try:
        number = phone_normalise(value)
    except ValueError:
        # Not a number phonenumbers can read (never written by the app): keep it as it was, encrypted,
        # with a fingerprint of the raw text, rather than fail the deployment.
        number = str(value or "").strip()
        return number, crypto.fingerprint(number, purpose=FINGERPRINT_PURPOSE)
    return number, phone_fingerprint(number)


def encrypt_numbers(apps, schema_editor):
    now = timezone.now()
    for model_name, extra in (("PhoneNumber", ()), ("PhoneChallenge", ("sent_at",))):
        model = apps.get_model("accounts", model_name)
        batch = []
        for row in model.objects.only("pk", "number").order_by("pk").iterator(chunk_size=BATCH):
            row.number_encrypted, row.fingerprint = _normal_and_fingerprint(row.number)
            if extra:
                row.sent_at = now
            batch.append(row)
            if len(batch) >= BATCH:
                model.objects.bulk_update(batch, ["number_encrypted", "fingerprint", *extra])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["number_encrypted", "fingerprint", *extra])


def decrypt_numbers(apps, schema_editor):
    for model_name in ("PhoneNumber", "PhoneChallenge"):
        model = apps.get_model("accounts", model_name)
        batch = []
        for row in model.objects.only("pk", "number_encrypted").order_by("pk").iterator(chunk_size=BATCH):
            row.number = row.number_encrypted
            batch.append(row)
            if len(batch) >= BATCH:
                model.objects.bulk_update(batch, ["number"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["number"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_phone_encrypted'),
    ]

    operations = [
        migrations.RunPython(encrypt_numbers, decrypt_numbers, elidable=False),
        # A default first, so that going back can re-add the plaintext columns to a table with rows.
        migrations.AlterField(model_name='phonenumber', name='number',
                              field=phonenumber_field.modelfields.PhoneNumberField(
                                  blank=True, default='', max_length=128, region='CN')),
        migrations.AlterField(model_name='phonechallenge', name='number',
                              field=phonenumber_field.modelfields.PhoneNumberField(
                                  blank=True, default='', max_length=128, region='CN')),
        migrations.RemoveField(model_name='phonenumber', name='number'),
        migrations.RemoveField(model_name='phonechallenge', name='number'),
        migrations.RenameField(model_name='phonenumber', old_name='number_encrypted', new_name='number'),
        migrations.RenameField(model_name='phonechallenge', old_name='number_encrypted', new_name='number'),
    ]
