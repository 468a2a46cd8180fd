"""Every ModelAdmin of the console: no editable field lets staff change what only a service may change.

A field staff can edit in the admin is written with no service, no check and no audit entry. So every
editable form field (change and add forms, inlines, list_editable) must be on ALLOWED below, with the
reason it is harmless; a new admin exposing anything else fails this test. Deleting by hand skips the
services too: models staff may delete in the console are on DELETABLE.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from accounts import services
from accounts.models import AgreementVersion
from accounts.tests.factories import Level2UserFactory, UserFactory
from moderation import ladder
from moderation.models import Rung
from moderation.notes import account_note_add
from publicaccounts.tests.factories import make_account
from social.tests.factories import CommentFactory, FriendRequestFactory, MomentFactory, make_friends

pytestmark = pytest.mark.django_db

CONFIG = "configuration, not anyone's data or rights"
ALLOWED: dict[str, dict[str, str]] = {
    "accounts.user": {
        # The add form: creating an account is what signing up does; its level, rights and flags start empty.
        "email": "add form only: the login of a new account (read-only on the change form)",
        "password1": "add form only", "password2": "add form only", "usable_password": "add form only",
        "language": "the language the user's notices are written in: a preference, no right attached",
    },
    "accounts.agreementversion": {
        "version": "drafts only: published versions are read-only", "title": "drafts only",
        "body_zh": "drafts only", "body_en": "drafts only",
    },
    "verification.documentkind": {name: CONFIG for name in (
        "code", "name_zh", "name_en", "active", "order", "sides", "side1_label_zh", "side1_label_en",
        "side2_label_zh", "side2_label_en", "number_format", "number_regex", "number_hint_zh", "number_hint_en")},
    "publicaccounts.reservedterm": {name: CONFIG for name in ("term", "kind", "note")},
    "moderation.accountnote": {
        "user": "add form only; saved by account_note_add() (audited), never by the form",
        "text": "add form only; saved by account_note_add() (audited), never by the form",
    },
}
DELETABLE = {
    "accounts.agreementversion": "drafts only (published ones are refused)",
    "verification.documentkind": "kinds never used only",
    "publicaccounts.reservedterm": CONFIG,
    "accounts.phonenumber": "the phone model belongs to the phone work (issue 9, point 8)",
}
# What must never be editable, whatever the allow-list says.
NEVER = {"level", "level_source", "groups", "user_permissions", "is_staff", "is_superuser", "is_active", "text",
         "body", "avatar", "status"}


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    return request


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _editable(form_class) -> set[str]:
    return {name for name, field in form_class.base_fields.items() if not field.disabled}


def editable_fields(model_admin, request, obj) -> set[str]:
    """Form fields staff could submit for `obj` (None: the add form), inlines included."""
    if obj is None and not model_admin.has_add_permission(request):
        return set()
    if obj is not None and not model_admin.has_change_permission(request, obj):
        return set()  # view only: Django renders every field read-only
    fields = _editable(model_admin.get_form(request, obj))
    for formset, inline in model_admin.get_formsets_with_inlines(request, obj):
        if obj is not None and not (inline.has_change_permission(request, obj)
                                    or inline.has_add_permission(request, obj)):
            continue
        fields |= {f"{inline.model._meta.model_name}.{name}" for name in _editable(formset.form)}
    return fields


def test_no_admin_exposes_an_editable_field_that_must_go_through_a_service(superuser_request):
    problems = []
    for model, model_admin in admin.site._registry.items():
        label = _label(model)
        allowed = ALLOWED.get(label, {})
        instance = model._default_manager.first() or model()
        found = editable_fields(model_admin, superuser_request, instance) | editable_fields(
            model_admin, superuser_request, None) | set(model_admin.list_editable or ())
        for name in sorted(found):
            if name not in allowed:
                problems.append(f"{label}: '{name}' is editable in the admin and not on the allow-list")
            if name.split(".")[-1] in NEVER and label != "moderation.accountnote":
                problems.append(f"{label}: '{name}' must only change through a service")
        if model_admin.has_delete_permission(superuser_request, None) and label not in DELETABLE:
            problems.append(f"{label}: staff may delete rows by hand")
    assert problems == [], "\n".join(problems)


def test_the_allow_list_names_only_registered_admins():
    registered = {_label(model) for model in admin.site._registry}
    assert set(ALLOWED) <= registered and set(DELETABLE) <= registered


@pytest.fixture
def console_data(db):
    """At least one row of most registered models, so their change forms render."""
    moderator = Level2UserFactory()
    senior = Level2UserFactory(is_superuser=True)
    user = Level2UserFactory()
    moment = MomentFactory(author=user)
    CommentFactory(moment=moment, author=user)
    other = Level2UserFactory()
    make_friends(user, other)
    FriendRequestFactory(from_user=Level2UserFactory(), to_user=user)
    AgreementVersion.objects.create(version="draft-1", title="Draft", body_zh="草稿", body_en="Draft")
    ladder.penalty_apply(target_user=user, action=Rung.WARN, rule="community", reason="Spam", moderator=moderator)
    closed = Level2UserFactory()
    services.identity_store(user=closed, real_name="张三", document_type="resident_id",
                            document_number="11010519491231002X")
    ladder.penalty_apply(target_user=closed, action=Rung.CLOSE, rule="laws", reason="Fraud", moderator=senior,
                         ban_days="forever")
    account_note_add(user=user, author=UserFactory(is_staff=True), text="Shared phone")
    make_account(Level2UserFactory())
    return user


def test_every_change_form_renders_for_a_superuser_without_inputs_for_protected_fields(staff_client, console_data):
    rendered = set()
    for model in admin.site._registry:
        label = _label(model)
        obj = model._default_manager.first()
        if obj is None:
            continue
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        except NoReverseMatch:  # pragma: no cover - every registered admin has a change view
            continue
        response = staff_client.get(url)
        assert response.status_code == 200, label
        html = response.content.decode()
        allowed = ALLOWED.get(label, {})
        for name in NEVER - set(allowed):
            for tag in (f'<input type="text" name="{name}"', f'<textarea name="{name}"', f'<select name="{name}"',
                        f'<input type="checkbox" name="{name}"', f'name="{name}" type="file"',
                        f'<select name="{name}" multiple'):
                assert tag not in html, f"{label}: {name} is editable"
        assert 'type="file"' not in html, f"{label}: an upload field"
        rendered.add(label)
    assert {"accounts.user", "social.moment", "social.comment", "accounts.agreementversion", "moderation.penalty",
            "moderation.accountnote", "moderation.identityban", "publicaccounts.publicaccount"} <= rendered
