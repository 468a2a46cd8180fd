"""Every model with a status declares its graph, and save() refuses what the graph does not declare."""

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import DeletionRequest, RealIdentity
from accounts.tests.factories import Level2UserFactory
from core.statemachine import StateMachineMixin, TransitionNotAllowed, seeding, transition_many
from moderation.models import Appeal, Penalty, ReviewItem, Rule, Rung
from publicaccounts.models import LicenceType, PublicAccount, Qualification
from social.models import FriendRequest
from verification.models import DocumentKind, DocumentSubmission, VouchCase, VouchRequest

NUMBER = "11010519491231002X"
_numbers = itertools.count(1)


def _identity(user=None, status="pending"):
    return RealIdentity.objects.create(user=user or Level2UserFactory(), real_name="张三", document_type="resident_id",
                                       document_number=NUMBER, fingerprint="f" * 64, status=status)


def _case(status="collecting"):
    applicant = Level2UserFactory()
    return VouchCase.objects.create(applicant=applicant, identity=_identity(applicant),
                                    document_kind=DocumentKind.objects.get(code="resident_id"), status=status)


def _penalty(status="active"):
    user = Level2UserFactory()
    return Penalty.objects.create(user=user, owner=user, action=Rung.WARN, rule=Rule.COMMUNITY, reason="r",
                                  status=status)


def _account(status="active"):
    n = next(_numbers)
    return PublicAccount.objects.create(owner=Level2UserFactory(), name=f"Daily {n}", name_key=f"daily{n}",
                                        handle=f"daily-{n}", status=status)


# One way to write a row of each model in a given status (inside seeding(): any status).
BUILDERS = {
    RealIdentity: lambda status: _identity(status=status),
    DeletionRequest: lambda status: DeletionRequest.objects.create(
        user=Level2UserFactory(), erase_after=timezone.now() + timedelta(days=15), status=status),
    FriendRequest: lambda status: FriendRequest.objects.create(
        from_user=Level2UserFactory(), to_user=Level2UserFactory(), status=status),
    DocumentSubmission: lambda status: DocumentSubmission.objects.create(
        user=(user := Level2UserFactory()), kind=DocumentKind.objects.get(code="resident_id"),
        identity=_identity(user), status=status),
    VouchCase: _case,
    VouchRequest: lambda status: VouchRequest.objects.create(
        case=(case := _case()), voucher=Level2UserFactory(), applicant=case.applicant,
        expires_at=timezone.now() + timedelta(days=7), status=status),
    ReviewItem: lambda status: ReviewItem.objects.create(
        kind="report", content_type=ContentType.objects.get_for_model(Penalty), object_id=1, status=status),
    Penalty: _penalty,
    Appeal: lambda status: Appeal.objects.create(penalty=_penalty(), statement="I did not", status=status),
    PublicAccount: _account,
    Qualification: lambda status: Qualification.objects.create(
        account=_account(), licence_type=LicenceType.REPRODUCTION, licence_number="L-1",
        issuing_authority="Beijing", valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + timedelta(days=100), status=status),
}


def models_with_a_status() -> set:
    root = Path(settings.BASE_DIR).resolve()
    return {model for model in apps.get_models()
            if root in Path(apps.get_app_config(model._meta.app_label).path).resolve().parents
            and any(field.name == "status" for field in model._meta.get_fields())}


def choices(model) -> set[str]:
    return {value for value, _label in model._meta.get_field("status").choices}


def undeclared_edge(model) -> tuple[str, str]:
    """A (from, to) pair of two different statuses the graph does not join."""
    return next((a, b) for a in sorted(choices(model)) for b in sorted(choices(model))
                if a != b and b not in model.TRANSITIONS.get(a, ()))


def declared_edge(model) -> tuple[str, str]:
    return next((a, b) for a, targets in sorted(model.TRANSITIONS.items()) for b in sorted(targets) if a != b)


def _make(model, status):
    with seeding():
        return BUILDERS[model](status)


def test_every_model_with_a_status_is_covered_here():
    # A new model with a status must declare a graph (and get a builder here, so the tests below run on it).
    assert models_with_a_status() == set(BUILDERS)


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_the_graph_is_declared_and_every_status_is_reachable(model):
    assert issubclass(model, StateMachineMixin)
    statuses = choices(model)
    assert model.INITIAL and set(model.INITIAL) <= statuses
    assert model._meta.get_field("status").default in model.INITIAL
    assert set(model.TRANSITIONS) <= statuses
    assert set().union(*model.TRANSITIONS.values()) <= statuses
    reached, todo = set(model.INITIAL), list(model.INITIAL)
    while todo:
        for nxt in model.TRANSITIONS.get(todo.pop(), ()):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    assert reached == statuses, f"{model.__name__}: no declared way to reach {sorted(statuses - reached)}"


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_save_refuses_an_undeclared_edge_and_writes_nothing(model):
    start, to = undeclared_edge(model)
    obj = model.objects.get(pk=_make(model, start).pk)
    obj.status = to
    with pytest.raises(TransitionNotAllowed):
        obj.save()
    with pytest.raises(TransitionNotAllowed):
        obj.save(update_fields=["status"])
    assert model.objects.get(pk=obj.pk).status == start
    # Loaded without its status (.only()), the object is checked against the row.
    partial = model.objects.only("pk").get(pk=obj.pk)
    partial.status = to
    with pytest.raises(TransitionNotAllowed):
        partial.save(update_fields=["status"])
    assert model.objects.get(pk=obj.pk).status == start


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_save_takes_a_declared_edge_and_other_fields_still_save(model):
    start, to = declared_edge(model)
    obj = model.objects.get(pk=_make(model, start).pk)
    obj.status = to
    obj.save()
    assert model.objects.get(pk=obj.pk).status == to
    obj.refresh_from_db()
    obj.save()  # nothing changed: nothing to refuse


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_a_new_row_starts_in_a_declared_initial_status(model):
    late = next(s for s in sorted(choices(model)) if s not in model.INITIAL)
    with pytest.raises(TransitionNotAllowed):
        BUILDERS[model](late)
    assert BUILDERS[model](sorted(model.INITIAL)[0]).pk


@pytest.mark.django_db
def test_refresh_from_db_takes_the_row_as_the_new_starting_point():
    identity = _make(RealIdentity, "pending")
    # Another process confirms it while this object is in memory:
    transition_many(RealIdentity.objects.filter(pk=identity.pk), to="confirmed")
    identity.refresh_from_db()
    identity.status = "revoked"  # confirmed -> revoked is declared
    identity.save()
    stale = RealIdentity.objects.get(pk=identity.pk)
    stale.status = "pending"
    with pytest.raises(TransitionNotAllowed):
        stale.save()


@pytest.mark.django_db
def test_transition_many_moves_only_rows_with_an_edge_to_the_target():
    rows = {status: _make(RealIdentity, status) for status in ("pending", "confirmed", "rejected", "revoked")}
    moved = transition_many(RealIdentity.objects.filter(pk__in=[r.pk for r in rows.values()]), to="revoked")
    assert moved == 2
    after = dict(RealIdentity.objects.filter(pk__in=[r.pk for r in rows.values()]).values_list("pk", "status"))
    assert {s: after[r.pk] for s, r in rows.items()} == {
        "pending": "revoked", "confirmed": "revoked", "rejected": "rejected", "revoked": "revoked"}


@pytest.mark.django_db
def test_transition_many_refuses_an_undeclared_source_or_target():
    identity = _make(RealIdentity, "revoked")
    with pytest.raises(TransitionNotAllowed):
        transition_many(RealIdentity.objects.all(), to="confirmed", from_="revoked")
    with pytest.raises(TransitionNotAllowed):
        transition_many(RealIdentity.objects.all(), to="pending")
    assert RealIdentity.objects.get(pk=identity.pk).status == "revoked"


@pytest.mark.django_db
def test_a_form_changing_the_status_along_an_undeclared_edge_is_invalid_not_a_500():
    from django import forms

    class StatusForm(forms.ModelForm):
        class Meta:
            model = RealIdentity
            fields = ["status"]

    identity = _make(RealIdentity, "revoked")
    form = StatusForm({"status": "confirmed"}, instance=RealIdentity.objects.get(pk=identity.pk))
    assert not form.is_valid()
    assert "This change of status is not allowed." in str(form.errors)
    allowed = StatusForm({"status": "revoked"}, instance=RealIdentity.objects.get(pk=_make(RealIdentity, "pending").pk))
    assert allowed.is_valid(), allowed.errors
