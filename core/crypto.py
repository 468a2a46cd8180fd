"""Field encryption with rotatable keys (cryptography's MultiFernet) and keyed fingerprints."""

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    """The MultiFernet for the configured keys; the first key encrypts, all decrypt."""
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    return fernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the newest key (a no-op in meaning, new ciphertext)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def fingerprint(value: str, *, purpose: str) -> str:
    """A keyed hash (HMAC-SHA256) of an already normalised value, for equality checks."""
    key = settings.IDENTITY_HMAC_KEY.encode("utf-8")
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # the stubs' field generics add nothing here
    """A text column stored as a Fernet token; never indexable, never searchable."""

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("db_index", None)
        kwargs.pop("unique", None)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if value is None or value == "":
            return value
        try:
            return decrypt_str(value)
        except InvalidToken as exc:
            # A missing key is an operator error; never leak the token in the message.
            raise ValueError("Encrypted field could not be decrypted with the configured keys.") from exc

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(value)
