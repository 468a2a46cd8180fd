"""A throwaway kind of review item (decisions on a Profile), moderators, and items to review."""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group

from accounts.models import PhoneNumber, Profile
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from conftest import mfa_login
from moderation import registry, services
from moderation.registry import DecisionOption, ReviewKind

KIND = "test.profile"
SENIOR_KIND = "test.senior"


@dataclass
class DummyKind(ReviewKind):
    """Moderators approve or reject a profile; what they decided is written into its bio."""

    key: str = KIND
    label: str = "Test profile"
    decisions: tuple = (
        DecisionOption("approve", "Approve"),
        DecisionOption("reject", "Reject", reasons=(("spam", "Spam"), ("fake", "Fake name"))),
        DecisionOption("close", "Close", groups=("senior moderator",), note_required=True),
    )
    calls: list = field(default_factory=list)

    def context(self, *, item, obj, reviewer) -> dict:
        return {"secret": "kind-context-ok" if item.is_claimed_by(reviewer) else ""}

    def decide(self, *, item, obj, reviewer, decision, reason_code, note) -> None:
        self.calls.append((item.pk, decision, reason_code))
        obj.bio = f"{decision}:{reason_code}"
        obj.save(update_fields=["bio"])


@dataclass
class SeniorKind(DummyKind):
    """Only senior moderators may review these."""

    key: str = SENIOR_KIND
    label: str = "Senior only"
    groups: tuple = ("senior moderator",)


@pytest.fixture(autouse=True)
def kinds():
    """Register the throwaway kinds for one test, and take them out again."""
    dummy, senior = DummyKind(), SeniorKind()
    registry.register(dummy)
    registry.register(senior)
    yield {"dummy": dummy, "senior": senior}
    registry.unregister(KIND)
    registry.unregister(SENIOR_KIND)


@pytest.fixture
def dummy_kind(kinds):
    return kinds["dummy"]


def make_moderator(*groups: str):
    """A level-2 user in the given staff groups (get_or_create: a flushed database has none)."""
    user = Level2UserFactory()
    for name in groups or ("moderator",):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def moderator(db):
    return make_moderator("moderator")


@pytest.fixture
def other_moderator(db):
    return make_moderator("moderator")


def open_item(*, subject=None, flags=None, kind: str = KIND, summary: str = "A profile to check"):
    """Put a fresh user's profile in the queue; the user is the item's subject."""
    subject = subject or Level1UserFactory()
    return services.review_item_open(kind=kind, target=subject.profile, subject=subject, summary=summary, flags=flags)


@pytest.fixture
def item(db):
    return open_item()


@pytest.fixture
def mod_client(client, moderator):
    """The moderator, logged in with MFA passed, reading English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return mfa_login(client, moderator)


# --- Enforcement: targets to report and take down, a senior moderator, a ladder shortcut ---------

CONTENT_KEY = "test.content"
PUBLIC_KEY = "test.public"
REMOVED_PREFIX = "REMOVED:"


def _remove(profile, actor):
    profile.bio = f"{REMOVED_PREFIX}{profile.bio}"
    profile.save(update_fields=["bio"])


def _restore(profile, actor):
    profile.bio = profile.bio.removeprefix(REMOVED_PREFIX)
    profile.save(update_fields=["bio"])


@pytest.fixture
def content_target():
    """A throwaway reportable model: a profile's bio stands in for a post; removal tombstones it in place."""
    from moderation import targets

    target = targets.TargetType(
        key=CONTENT_KEY, label="Test content", model=Profile, owner=lambda p: p.user,
        snapshot=lambda p: {"text": p.bio, "images": [f"img/{p.pk}.jpg"]}, url=lambda p: f"/u/{p.user_id}/",
        remove=_remove, restore=_restore, visible_to=lambda viewer, p: not p.bio.startswith("hidden"),
    )
    targets.register(target)
    yield target
    targets.unregister(CONTENT_KEY)


@pytest.fixture
def public_target():
    """A throwaway "public account": a user's phone number row, operated by that user."""
    from moderation import targets

    target = targets.TargetType(
        key=PUBLIC_KEY, label="Test public account", model=PhoneNumber, owner=lambda p: p.user,
        snapshot=lambda p: {"title": f"account {p.pk}"}, penalty_subject=lambda p: p, removable=False,
    )
    targets.register(target)
    yield target
    targets.unregister(PUBLIC_KEY)


@pytest.fixture
def senior(db):
    return make_moderator("moderator", "senior moderator")


def apply_rung(user, rung, *, moderator, rule="community", reason="Spam links", days=7, **kwargs):
    """penalty_apply() with the usual arguments filled in (a ban for ever when closing)."""
    from moderation import ladder
    from moderation.models import TIMED_RUNGS, Rung

    if rung == Rung.CLOSE and "public_account" not in kwargs:
        kwargs.setdefault("ban_days", "forever")
    return ladder.penalty_apply(target_user=None if "public_account" in kwargs else user, action=rung, rule=rule,
                                reason=reason, duration_days=days if rung in TIMED_RUNGS else None,
                                moderator=moderator, **kwargs)
