"""Phone numbers encrypted at rest: the new encrypted columns and fingerprints (filled by 0006)."""

from django.db import migrations, models

import core.crypto


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_deletion_requested_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='phonenumber',
            name='number_encrypted',
            field=core.crypto.EncryptedTextField(default='', verbose_name='mobile number'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='phonenumber',
            name='fingerprint',
            field=models.CharField(db_index=True, default='', editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='phonechallenge',
            name='number_encrypted',
            field=core.crypto.EncryptedTextField(default=''),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='phonechallenge',
            name='fingerprint',
            field=models.CharField(default='', editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='phonechallenge',
            name='code_token',
            field=core.crypto.EncryptedTextField(blank=True, default='', editable=False),
        ),
        migrations.AddField(
            model_name='phonechallenge',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
