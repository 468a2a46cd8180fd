"""Phone numbers as personal data: one normal form (E.164), a keyed fingerprint, a masked form.

The number itself is stored encrypted (core.crypto.EncryptedTextField, the identities' rotatable keys);
every comparison — the accounts-per-number cap, lookups, the per-number lock — uses the fingerprint.
No model imports here: the data migration that encrypts old rows uses these same functions.
"""

import phonenumbers

from core import crypto

DEFAULT_REGION = "CN"
FINGERPRINT_PURPOSE = "phone"


def phone_normalise(value) -> str:
    """E.164 ("+8613800138000") for a number typed in any usual way; ValueError when it is no number."""
    if isinstance(value, phonenumbers.PhoneNumber):
        parsed = value
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError("empty phone number")
        try:
            parsed = phonenumbers.parse(text, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            raise ValueError("not a phone number") from None
    if not parsed.national_number:
        raise ValueError("not a phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_fingerprint(value) -> str:
    """HMAC-SHA256 of the normalised number under IDENTITY_HMAC_KEY, purpose-separated from identities."""
    return crypto.fingerprint(phone_normalise(value), purpose=FINGERPRINT_PURPOSE)


def mask_phone(value) -> str:
    """+8613800138000 -> 138****8000: the only form of a number any page or admin list shows."""
    try:
        national = str(phonenumbers.parse(phone_normalise(value), None).national_number)
    except ValueError:
        return "****"
    return f"{national[:3]}****{national[-4:]}" if len(national) >= 7 else "****"
