"""Declared state machines: a model lists its edges once, as data; every other change is refused.

Three doors, one graph:
* `transition(to=...)` moves one object along a declared edge (the caller saves);
* `save()` refuses a status that changed along an undeclared edge since the row was loaded, and a new
  row that does not start in one of the model's `INITIAL` statuses, however the attribute was set;
* `transition_many(queryset, to=...)` is the one bulk change of status: it updates, in one statement,
  only the rows whose current status has an edge to `to`. A source scan (core/tests/test_status_scan.py)
  keeps every other `update(status=...)` and `bulk_update(..., ["status"])` out of the project.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    # For the type checker the mixin is a model (it is only ever mixed into one); at run time, a plain class.
    _ModelBase = models.Model
else:
    _ModelBase = object

_UNKNOWN = object()
_SEEDING: contextvars.ContextVar[bool] = contextvars.ContextVar("statemachine_seeding", default=False)


class TransitionNotAllowed(Exception):
    """A status change the model's graph does not declare (a programming error, not a user's)."""


@contextlib.contextmanager
def seeding() -> Iterator[None]:
    """Create or save rows in any status: for demo data and test factories only (a source scan keeps it there)."""
    token = _SEEDING.set(True)
    try:
        yield
    finally:
        _SEEDING.reset(token)


class StateMachineMixin(_ModelBase):
    """For models with a `status` field, `TRANSITIONS = {from_status: {to_status, ...}}` and `INITIAL`."""

    status: str
    TRANSITIONS: dict[str, frozenset[str] | set[str]] = {}
    # The statuses a new row may be created in (usually the field's default).
    INITIAL: frozenset[str] = frozenset()

    # --- one object -------------------------------------------------------------------------------

    def can_transition(self, to: str) -> bool:
        return to in self.TRANSITIONS.get(self.status, frozenset())

    def transition(self, *, to: str) -> None:
        """Move to `to` if the graph allows it (the caller saves)."""
        if not self.can_transition(to):
            raise TransitionNotAllowed(f"{type(self).__name__} {self.pk}: {self.status} -> {to} is not allowed")
        self.__dict__.setdefault("_status_moves", []).append((self.status, to))
        self.status = to
        self.on_transition(to)

    def on_transition(self, to: str) -> None:
        """Hook for what every move stamps (e.g. a decision time); nothing by default."""

    # --- what save() checks -------------------------------------------------------------------------

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        instance = super().from_db(db, field_names, values)
        instance._remember_status()
        return instance

    def refresh_from_db(self, using: str | None = None, fields: Iterable[str] | None = None,
                        from_queryset: models.QuerySet[Self] | None = None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self._remember_status()

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        writes_status = "status" in self.__dict__ and (update_fields is None or "status" in update_fields)
        if writes_status:
            self.check_status_change()
        super().save(*args, **kwargs)
        if writes_status:
            self._remember_status()

    def clean(self) -> None:
        """A form (the admin's) that changes the status along an undeclared edge gets an error, not a 500."""
        super().clean()
        try:
            self.check_status_change()
        except TransitionNotAllowed:
            raise ValidationError(_("This change of status is not allowed.")) from None

    def _remember_status(self) -> None:
        # A deferred status (.only()/.defer()) is unknown until read; save() then asks the database.
        self.__dict__["_status_saved"] = self.__dict__.get("status", _UNKNOWN)
        self.__dict__["_status_moves"] = []

    def check_status_change(self) -> None:
        """Raise TransitionNotAllowed if saving now would write an undeclared status change."""
        if _SEEDING.get():
            return
        model = type(self).__name__
        if self._state.adding:
            if self.status not in self.INITIAL:
                raise TransitionNotAllowed(f"a new {model} cannot start as {self.status!r}")
            return
        before = self.__dict__.get("_status_saved", _UNKNOWN)
        if before is _UNKNOWN:
            before = (type(self)._base_manager.using(self._state.db).filter(pk=self.pk)
                      .values_list("status", flat=True).first())
            if before is None:
                return  # the row is gone: Django's save() decides what happens
        if self.status == before:
            return
        if _moves_lead(self.__dict__.get("_status_moves", []), before, self.status):
            return
        if self.status in self.TRANSITIONS.get(before, frozenset()):
            return
        raise TransitionNotAllowed(f"{model} {self.pk}: {before} -> {self.status} is not allowed")

    # --- the graph, read by tests and by transition_many ------------------------------------------

    @classmethod
    def statuses_leading_to(cls, to: str) -> frozenset[str]:
        """Every status with a declared edge to `to`."""
        return frozenset(src for src, targets in cls.TRANSITIONS.items() if to in targets)


def _moves_lead(moves: list[tuple[str, str]], before: object, after: str) -> bool:
    """Whether transition() calls, each checked when made, lead without a gap from `before` to `after`."""
    if not moves or moves[0][0] != before or moves[-1][1] != after:
        return False
    return all(prev[1] == nxt[0] for prev, nxt in zip(moves, moves[1:], strict=False))


def transition_many(queryset: models.QuerySet[Any], *, to: str, from_: str | Iterable[str] | None = None,
                    **fields: Any) -> int:
    """Move every row of `queryset` whose status has a declared edge to `to` (and is in `from_`, if given).

    One UPDATE statement; rows in any other status are left as they are. `fields` are set on the
    same rows (what on_transition() would stamp, e.g. decided_at). Returns the number of rows moved.
    """
    model = queryset.model
    if not issubclass(model, StateMachineMixin):
        raise TypeError(f"{model.__name__} has no declared status graph")
    sources = model.statuses_leading_to(to)
    if from_ is not None:
        wanted = {from_} if isinstance(from_, str) else set(from_)
        undeclared = wanted - sources
        if undeclared:
            raise TransitionNotAllowed(f"{model.__name__}: {sorted(undeclared)} -> {to} is not allowed")
        sources = frozenset(wanted)
    if not sources:
        raise TransitionNotAllowed(f"{model.__name__}: nothing may move to {to}")
    return queryset.filter(status__in=sorted(sources)).update(status=to, **fields)
