"""Checking a typed document number against its kind (resident IDs with stdnum, others by pattern)."""

import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from accounts.identity import normalise_number, validate_document_number

from .models import RESIDENT_ID_TYPE, DocumentKind, NumberFormat


def age_on(birth: date, today: date) -> int:
    """Completed years between `birth` and `today`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def number_validate(*, kind: DocumentKind, number: str) -> str:
    """Return the normalised number or raise ValidationError with a message safe to show."""
    if kind.number_format == NumberFormat.RESIDENT_ID:
        # stdnum checks the check digit, region and birth date; we never hand-write that check.
        value = validate_document_number(RESIDENT_ID_TYPE, number)
        minimum = settings.DOCUMENT_MIN_AGE_YEARS
        if age_on(ric.get_birth_date(value), timezone.localdate()) < minimum:
            raise ValidationError(
                _("According to this ID number you are under %(age)d. A parent or guardian must apply "
                  "for verification on your behalf.") % {"age": minimum},
                code="under_age",
            )
        return value
    value = normalise_number(kind.code, number)
    if not kind.number_regex or not re.fullmatch(kind.number_regex, value):
        raise ValidationError(_("This does not look like a number of this kind of document. "
                                "Please type it as printed."), code="format")
    return value
