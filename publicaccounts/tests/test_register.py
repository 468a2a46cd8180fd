"""Registration: folded unique names, handles, reserved terms sent to review, the cap per real identity."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from accounts.models import IdentityStatus
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from moderation.models import AuditEntry, ReviewItem
from publicaccounts.models import AccountStatus, OperatorType, PublicAccount, ReservedTerm, ReservedTermKind
from publicaccounts.names import name_key, reserved_matches

from .factories import VALID_USCC, confirm_identity, make_account, processed, register, resident_id, upload

pytestmark = pytest.mark.django_db


# --- Names --------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("ＡＢＣ Daily", "abc daily"),
    ("ABC  DAILY", "abcdaily"),
    ("Straße Weekly", "STRASSE weekly"),
    ("ｔｅｃｈ　Ｔａｌｋ", "Tech Talk"),  # full-width letters and an ideographic space
])
def test_names_fold_to_the_same_key(a, b):
    assert name_key(a) == name_key(b)


def test_fullwidth_and_case_variants_are_taken(owner):
    register(owner, name="abc daily", handle="abc-daily")
    other = Level2UserFactory()
    with pytest.raises(ValidationError) as exc:
        register(other, name="ＡＢＣ Daily", handle="abc-daily-2")
    assert "name" in exc.value.message_dict


def test_handles_are_unique_whatever_the_case(owner):
    register(owner, name="First", handle="Morning-Post")
    with pytest.raises(ValidationError) as exc:
        register(Level2UserFactory(), name="Second", handle="morning-post")
    assert "handle" in exc.value.message_dict


@pytest.mark.parametrize("handle", ["ab", "has space", "中文", "x" * 31, "1234"])
def test_bad_handles_are_refused(owner, handle):
    with pytest.raises(ValidationError) as exc:
        register(owner, name="Fine name", handle=handle)
    assert "handle" in exc.value.message_dict


def test_a_plain_name_goes_live_at_once_and_is_audited(owner):
    account = register(owner, name="  Garden   Notes ", handle="garden")
    assert account.status == AccountStatus.ACTIVE
    assert account.name == "Garden Notes"
    assert account.name_key == "gardennotes"
    assert not ReviewItem.objects.exists()
    assert AuditEntry.objects.filter(action="publicaccount.register", target_id=str(account.pk)).exists()


@pytest.mark.parametrize(("name", "kind"), [
    ("人民日报精选", ReservedTermKind.IMPERSONATION),
    ("朝阳区政府之声", ReservedTermKind.IMPERSONATION),
    ("军迷俱乐部", ReservedTermKind.IMPERSONATION),
    ("ＸＩＮＨＵＡ Digest", ReservedTermKind.IMPERSONATION),  # matched on the folded name
    ("每日新闻", ReservedTermKind.NEWS),
    ("科技资讯", ReservedTermKind.NEWS),
    ("Tech News Weekly", ReservedTermKind.NEWS),
])
def test_reserved_terms_send_the_name_to_review(owner, name, kind):
    account = register(owner, name=name, handle="reserved")
    assert account.status == AccountStatus.PENDING_REVIEW
    assert kind in {t["kind"] for t in account.reserved_terms}
    item = ReviewItem.objects.get(kind="publicaccount_name", object_id=account.pk)
    assert item.subject == owner
    assert item.flags


def test_news_words_go_to_review_even_for_an_owner_whose_other_account_is_licensed(owner):
    # Kept simple on purpose: only the account itself could hold the licence, and a new one holds none.
    from .factories import make_qualification

    make_qualification(make_account(owner, name="Licensed"))
    account = register(owner, name="城市新闻", handle="city-news")
    assert account.status == AccountStatus.PENDING_REVIEW


def test_reserved_terms_are_editable_data():
    ReservedTerm.objects.create(term="ＴＥＳＴ局", kind=ReservedTermKind.IMPERSONATION)
    assert [m.term for m in reserved_matches("the test局 page")] == ["ＴＥＳＴ局"]
    assert reserved_matches("Garden notes") == []


def test_a_pending_name_holds_the_name_and_a_rejected_one_frees_it(owner):
    pending = register(owner, name="每日新闻", handle="daily-1")
    with pytest.raises(ValidationError):
        register(Level2UserFactory(), name="每日 新闻", handle="daily-2")
    PublicAccount.objects.filter(pk=pending.pk).update(status=AccountStatus.REJECTED)
    again = register(Level2UserFactory(), name="每日新闻", handle="daily-3")
    assert again.status == AccountStatus.PENDING_REVIEW


# --- Operator -------------------------------------------------------------------

def test_an_organisation_needs_its_name_and_a_valid_credit_code(owner):
    with pytest.raises(ValidationError) as exc:
        register(owner, name="Org", handle="org", operator_type=OperatorType.ORGANISATION,
                 operator_name="", operator_code="91110000600037341X")
    assert {"operator_name", "operator_code"} <= set(exc.value.message_dict)
    account = register(owner, name="Org", handle="org", operator_type=OperatorType.ORGANISATION,
                       operator_name="Example Co., Ltd.", operator_code=VALID_USCC.lower())
    assert account.operator_code == VALID_USCC


def test_an_individual_keeps_no_organisation_details(owner):
    account = register(owner, name="Me", handle="just-me", operator_type=OperatorType.INDIVIDUAL,
                       operator_name="Ignored", operator_code="ignored")
    assert (account.operator_name, account.operator_code) == ("", "")


def test_the_avatar_is_stored_in_public_storage(owner, settings):
    account = register(owner, name="Pictured", handle="pictured", avatar=processed())
    assert account.avatar.name.startswith("publicaccounts/avatars/")
    assert account.avatar.url.startswith(settings.MEDIA_URL)


def test_level_1_users_cannot_register():
    from accounts.policy import PolicyDenied

    with pytest.raises(PolicyDenied):
        register(Level1UserFactory())


# --- The cap per real identity ------------------------------------------------------

@override_settings(PUBLIC_ACCOUNTS_PER_IDENTITY=2)
def test_the_cap_counts_every_user_account_of_one_person():
    number = resident_id(seq=555)
    first, second = Level2UserFactory(), Level2UserFactory()
    confirm_identity(first, number)
    confirm_identity(second, number)
    register(first, name="One", handle="one")
    register(second, name="Two", handle="two")
    with pytest.raises(ValidationError) as exc:
        register(first, name="Three", handle="three")
    assert "2" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        register(second, name="Three", handle="three")
    # Someone else is not affected.
    stranger = Level2UserFactory()
    confirm_identity(stranger, resident_id(seq=556))
    register(stranger, name="Three", handle="three")


@override_settings(PUBLIC_ACCOUNTS_PER_IDENTITY=2)
def test_pending_and_closed_accounts_count_rejected_ones_do_not(owner):
    make_account(owner, status=AccountStatus.PENDING_REVIEW)
    rejected = make_account(owner, status=AccountStatus.REJECTED)
    register(owner, name="Second", handle="second")
    with pytest.raises(ValidationError):
        register(owner, name="Third", handle="third")
    PublicAccount.objects.filter(owner=owner, status=AccountStatus.PENDING_REVIEW).update(status=AccountStatus.CLOSED)
    with pytest.raises(ValidationError):
        register(owner, name="Third", handle="third")
    assert rejected.status == AccountStatus.REJECTED


@override_settings(PUBLIC_ACCOUNTS_PER_IDENTITY=1)
def test_an_unconfirmed_claim_on_the_same_number_does_not_count():
    number = resident_id(seq=557)
    real, impostor = Level2UserFactory(), Level2UserFactory()
    confirm_identity(real, number)
    from accounts import services as account_services

    claim = account_services.identity_store(user=impostor, real_name="张三", document_type="resident_id",
                                            document_number=number)
    assert claim.status == IdentityStatus.PENDING
    make_account(impostor)
    register(real, name="Mine", handle="mine-1")


# --- The page ------------------------------------------------------------------------

def test_level_1_sees_the_reason_and_how_to_unlock(client):
    client.force_login(Level1UserFactory())
    response = client.get("/publicaccounts/new/")
    assert response.status_code == 200
    assert b"level 2" in response.content
    assert b'href="/verify/"' in response.content
    assert b'name="handle"' not in response.content


def test_register_through_the_page(client, owner):
    client.force_login(owner)
    response = client.post("/publicaccounts/new/", {
        "name": "Garden Notes", "handle": "garden", "introduction": "Plants.", "category": "lifestyle",
        "operator_type": "individual", "avatar": upload(),
    })
    assert response.status_code == 302
    assert response["Location"] == "/p/garden/"
    account = PublicAccount.objects.get(handle="garden")
    assert account.avatar
    page = client.get("/p/garden/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h1 id="account-name">Garden Notes</h1>' in page


def test_a_reserved_name_is_told_why_on_the_page(client, owner):
    client.force_login(owner)
    response = client.post("/publicaccounts/new/", {
        "name": "国务院观察", "handle": "observer", "category": "news", "operator_type": "individual",
    }, follow=True)
    assert "国务院" in response.content.decode()
    assert b"A moderator will check" in response.content
    assert b'id="account-status"' in response.content


def test_a_failed_submit_keeps_what_was_typed(client, owner):
    client.force_login(owner)
    response = client.post("/publicaccounts/new/", {
        "name": "Company page", "handle": "company", "introduction": "About us", "category": "business",
        "operator_type": "organisation", "operator_name": "Example Co.", "operator_code": "123",
    })
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Company page"' in body and "About us" in body and 'value="Example Co."' in body
    assert "unified social credit code has 18" in body


@override_settings(PUBLIC_ACCOUNTS_PER_IDENTITY=1)
def test_the_page_says_when_the_cap_is_reached(client, owner):
    make_account(owner)
    client.force_login(owner)
    response = client.get("/publicaccounts/new/")
    assert b'id="cap-reached"' in response.content
