"""Validation and normalisation of document numbers (never hand-written checks)."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric

from .models import DocumentType

_GENERIC = re.compile(r"^[A-Z0-9]{5,20}$")


def normalise_number(document_type: str, number: str) -> str:
    """Upper-case, without spaces or separators: the form that is fingerprinted."""
    return re.sub(r"[\s\-]", "", number or "").upper()


def validate_document_number(document_type: str, number: str) -> str:
    """Return the normalised number or raise ValidationError with a message safe to show."""
    value = normalise_number(document_type, number)
    if document_type == DocumentType.RESIDENT_ID:
        try:
            value = ric.validate(value)
        except stdnum_exceptions.InvalidChecksum:
            raise ValidationError(_("This ID number's check digit is wrong. Please check each digit."), code="checksum")
        except stdnum_exceptions.InvalidComponent:
            raise ValidationError(_("This ID number has an invalid region or birth date."), code="component")
        except stdnum_exceptions.ValidationError:
            raise ValidationError(_("A resident ID number has 18 characters: 17 digits and a digit or X."),
                                  code="format")
        if ric.get_birth_date(value) > timezone.localdate():
            raise ValidationError(_("This ID number has a birth date in the future."), code="future")
        return value
    if not _GENERIC.match(value):
        raise ValidationError(_("Please enter the document number as printed: 5 to 20 letters and digits."),
                              code="format")
    return value


def normalise_name(name: str) -> str:
    return " ".join((name or "").split())
