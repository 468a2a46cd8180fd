"""What can be reported and taken down: each app registers a TargetType per model (moderation imports none).

An app describes its model once, in its AppConfig.ready():

    targets.register(TargetType(
        key="moment", label=_("Moment"), model=Moment,
        owner=lambda m: m.author,
        snapshot=lambda m: {"text": m.text, "images": [i.image.name for i in m.images.all()]},
        url=lambda m: reverse("social:moment", kwargs={"pk": m.pk}),
        remove=moment_remove, restore=moment_restore,       # (obj, actor) -> None: set/clear a tombstone flag
        visible_to=lambda viewer, m: can_see_moment(viewer=viewer, moment=m),
    ))

A removed item keeps its row and shows TOMBSTONE_TEXT (templates/moderation/tombstone.html) instead
of its content, so an upheld appeal can bring it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import wiring

# What readers see in place of removed content (zh-hans: 此内容因违规无法查看).
TOMBSTONE_TEXT = _("This content was removed for breaking the rules")


def _everyone(viewer, obj) -> bool:
    return True


def _nothing(obj, actor) -> None:
    return None


@dataclass(frozen=True)
class TargetType:
    """How moderation handles one reportable model: whose it is, what it said, where it is, how to take it down."""

    key: str
    label: Any
    model: type
    # The user whose strike history counts (the author, the public account's operator).
    owner: Callable[[Any], Any]
    # {"title": str, "text": str, "images": [storage names]}: any of them; kept with the case.
    snapshot: Callable[[Any], dict]
    url: Callable[[Any], str] = lambda obj: ""
    # Tombstone and un-tombstone, called inside the moderator's transaction (obj, actor) -> None.
    remove: Callable[[Any, Any], None] = _nothing
    restore: Callable[[Any, Any], None] = _nothing
    # For content of a public account (an article, the account itself): the public account a penalty
    # may apply to instead of the owner's personal account; None for personal content.
    penalty_subject: Callable[[Any], Any] | None = None
    # Whether `viewer` can see the object (and so report it); the report page is a 404 otherwise.
    visible_to: Callable[[Any, Any], bool] = _everyone
    # False when remove() does nothing (a user profile): the decision form does not offer it.
    removable: bool = True


_types: dict[str, TargetType] = {}


def register(target: TargetType) -> None:
    """Offer a model to reports and take-downs; registering the same key again replaces it."""
    if not target.key or "/" in target.key:
        raise ValueError("A target type needs a key without '/'.")
    _types[target.key] = target


def unregister(key: str) -> None:
    """Remove a target type (for tests that register a throwaway one)."""
    _types.pop(key, None)


def get(key: str) -> TargetType:
    """The type registered under `key`; KeyError when none is."""
    return _types[key]


def types() -> dict[str, TargetType]:
    """Every registered type, in registration order."""
    return dict(_types)


wiring.extension_point("moderation.targets", "TargetType: a model that can be reported and taken down",
                       lambda: [f"{key} ({t.model._meta.label})" for key, t in types().items()])


def for_object(obj) -> TargetType | None:
    """The type registered for the model of `obj` (the first one, if several share a model)."""
    model = type(obj)._meta.concrete_model
    return next((t for t in _types.values() if t.model._meta.concrete_model is model), None)


def resolve(key: str, pk: int):
    """(type, object) for a key and a primary key; (None, None) when either is unknown."""
    target = _types.get(key)
    if target is None:
        return None, None
    obj = target.model._default_manager.filter(pk=pk).first()
    return (target, obj) if obj is not None else (target, None)


def safe_snapshot(target: TargetType, obj) -> dict:
    """The snapshot as plain JSON-able strings, whatever the app returned."""
    raw = target.snapshot(obj) or {}
    snapshot = {k: str(raw[k]) for k in ("title", "text") if raw.get(k)}
    if raw.get("images"):
        snapshot["images"] = [str(name) for name in raw["images"] if name]
    snapshot["label"] = str(target.label)
    return snapshot


# --- The one target moderation owns: a user's public profile ------------------------------

def _user_snapshot(user) -> dict:
    profile = getattr(user, "profile", None)
    if profile is None:
        return {"title": str(user.display_name)}
    return {"title": profile.nickname, "text": profile.bio, "images": [profile.avatar.name] if profile.avatar else []}


def user_target() -> TargetType:
    """The "user" target: a profile (nickname, bio, avatar) reported as a whole; removing it takes nothing down."""
    return TargetType(
        key="user", label=_("User profile"), model=User, owner=lambda user: user, snapshot=_user_snapshot,
        url=lambda user: f"/u/{user.pk}/", removable=False,
        visible_to=lambda viewer, user: user.is_active,
    )
