"""Document kinds as data, and the number check of each kind."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from verification.documents.models import DocumentKind, NumberFormat
from verification.documents.numbers import age_on, number_validate
from verification.tests.utils import birth_years_ago, resident_id

pytestmark = pytest.mark.django_db


def kind(code):
    return DocumentKind.objects.get(code=code)


def test_seeded_kinds():
    kinds = {k.code: k for k in DocumentKind.objects.all()}
    assert list(kinds)[:5] == ["resident_id", "passport", "drivers_licence", "military_officer", "soldier"]
    assert kinds["resident_id"].sides == 2 and kinds["resident_id"].number_format == NumberFormat.RESIDENT_ID
    assert all(kinds[c].sides == 1 for c in ["passport", "drivers_licence", "military_officer", "soldier"])
    assert all(k.active for k in kinds.values())
    with translation.override("en"):
        assert kinds["resident_id"].name == "Resident identity card"
        assert kinds["resident_id"].side_label(2).startswith("Back")
        assert kinds["passport"].side_label(1) == "Photo page"
    with translation.override("zh-hans"):
        assert kinds["resident_id"].name == "居民身份证"


def test_resident_id_number_is_checked_with_stdnum():
    number = resident_id()
    assert number_validate(kind=kind("resident_id"), number=f" {number[:6]} {number[6:].lower()} ") == number
    wrong_digit = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        number_validate(kind=kind("resident_id"), number=wrong_digit)
    assert "check digit" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        number_validate(kind=kind("resident_id"), number="12345")


def test_resident_id_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError) as exc:
        number_validate(kind=kind("resident_id"), number=resident_id(birth=birth_years_ago(0, days=2)))
    assert "future" in exc.value.messages[0] or "birth date" in exc.value.messages[0]


def test_under_14_is_told_a_guardian_must_apply(settings):
    assert settings.DOCUMENT_MIN_AGE_YEARS == 14
    with pytest.raises(ValidationError) as exc:
        number_validate(kind=kind("resident_id"), number=resident_id(birth=birth_years_ago(14, days=1)))
    assert exc.value.code == "under_age"
    assert "guardian" in exc.value.messages[0]
    # Fourteen today is old enough.
    assert number_validate(kind=kind("resident_id"), number=resident_id(birth=birth_years_ago(14)))


def test_age_on():
    from datetime import date

    assert age_on(date(2000, 5, 10), date(2014, 5, 9)) == 13
    assert age_on(date(2000, 5, 10), date(2014, 5, 10)) == 14
    assert age_on(date(2000, 2, 29), date(2014, 2, 28)) == 13


def test_drivers_licence_is_numbered_with_the_resident_id():
    licence = kind("drivers_licence")
    assert licence.identity_document_type == "resident_id"
    assert number_validate(kind=licence, number=resident_id()) == resident_id()
    with pytest.raises(ValidationError):
        number_validate(kind=licence, number="A1234567")


@pytest.mark.parametrize("code,good,bad", [
    ("passport", "e 1234-5678", "E1234567890123"),
    ("military_officer", "12345678", "军字第12345678号"),
    ("soldier", "1234567", "1234"),
])
def test_other_kinds_are_checked_by_their_pattern(code, good, bad):
    k = kind(code)
    assert k.identity_document_type == code
    assert number_validate(kind=k, number=good) == good.upper().replace(" ", "").replace("-", "")
    with pytest.raises(ValidationError) as exc:
        number_validate(kind=k, number=bad)
    assert exc.value.code == "format"


def test_kind_clean_checks_the_pattern_and_labels():
    k = DocumentKind(code="hk_permit", name_zh="港澳通行证", name_en="Exit-entry permit", sides=2,
                     side1_label_zh="正面", side1_label_en="Front", number_format=NumberFormat.REGEX, number_regex="[")
    with pytest.raises(ValidationError) as exc:
        k.full_clean()
    assert {"number_regex", "side2_label_en"} <= set(exc.value.message_dict)
    k.number_regex = r"[A-Z][0-9]{8}"
    k.side2_label_zh, k.side2_label_en = "背面", "Back"
    k.full_clean()
    k.save()
    assert number_validate(kind=k, number="c12345678") == "C12345678"
