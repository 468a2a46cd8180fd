"""The erasers registry: every app erases its own content of a deleted account.

Accounts erases what it owns (profile, phone, email, identity details) and cannot import the
apps above it, so each app that keeps a user's content registers a function in its
AppConfig.ready():

    from accounts import erasure
    erasure.register(erase_social_content)      # fn(*, user) -> None

Erasers run inside the erasure's transaction, after the account is locked and before accounts
empties its own rows: an exception rolls the whole erasure back, and the beat task tries again
later. They must be idempotent (a retry runs them again) and must delete files only once the
transaction commits (`transaction.on_commit`). They must keep what anti-fraud needs (penalties,
strikes, vouching records, identity fingerprints): erase content, not records.
"""

from collections.abc import Callable

from core import wiring

Eraser = Callable[..., None]

_erasers: list[Eraser] = []


def register(eraser: Eraser) -> None:
    """Add `eraser(*, user)`; registering it again is harmless (ready() may run more than once)."""
    if eraser not in _erasers:
        _erasers.append(eraser)


def unregister(eraser: Eraser) -> None:
    """Remove an eraser (for tests)."""
    if eraser in _erasers:
        _erasers.remove(eraser)


def erasers() -> list[Eraser]:
    """The registered erasers, in the order they were registered."""
    return list(_erasers)


wiring.extension_point("accounts.erasure erasers", "fn(*, user): erase an app's part of a deleted account",
                       lambda: [wiring.name_of(eraser) for eraser in erasers()])


def run(*, user) -> None:
    """Call every eraser for `user` (inside the caller's transaction)."""
    for eraser in list(_erasers):
        eraser(user=user)
