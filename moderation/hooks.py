"""Callbacks other apps connect in their AppConfig.ready(), so moderation acts on their data without importing them.

    from moderation import hooks
    hooks.on_user_closed.connect(close_public_accounts_of)     # fn(*, user, penalty, actor)
    hooks.on_user_reopened.connect(reopen_public_accounts_of)  # fn(*, user, penalty, actor)

Callbacks run inside the moderator's transaction: an exception rolls the whole decision back.
"""

from collections.abc import Callable

from core import wiring


class Hook:
    """A named list of callbacks, each called with keyword arguments; connecting twice is harmless."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[..., None]] = []

    def connect(self, callback: Callable[..., None]) -> None:
        """Add a callback (ready() may run more than once: it is added once)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., None]) -> None:
        """Remove a callback (for tests)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def callbacks(self) -> list[Callable[..., None]]:
        """The connected callbacks, in the order they are called."""
        return list(self._callbacks)

    def send(self, **kwargs) -> None:
        """Call every callback with these keyword arguments, in the order they were connected."""
        for callback in list(self._callbacks):
            callback(**kwargs)


# A user account was closed: close what hangs off it (its public accounts). fn(*, user, penalty, actor)
on_user_closed = Hook("user_closed")
# A closure was overturned on appeal: reopen what on_user_closed closed. fn(*, user, penalty, actor)
on_user_reopened = Hook("user_reopened")
# Any penalty applied (a user's or a public account's), after it is saved. fn(*, penalty, actor)
on_penalty_applied = Hook("penalty_applied")
# Any penalty overturned on appeal. fn(*, penalty, actor)
on_penalty_overturned = Hook("penalty_overturned")


def hooks() -> list[Hook]:
    """Every hook moderation fires, in the order declared above."""
    return [on_user_closed, on_user_reopened, on_penalty_applied, on_penalty_overturned]


def _declare(hook: Hook, description: str) -> None:
    wiring.extension_point(f"moderation.hooks {hook.name}", description,
                           lambda: [wiring.name_of(callback) for callback in hook.callbacks()])


_declare(on_user_closed, "fn(*, user, penalty, actor) after a user account is closed (moderation.ladder.penalty_apply)")
_declare(on_user_reopened, "fn(*, user, penalty, actor) after a closure is overturned (moderation.ladder.penalty_overturn)")
_declare(on_penalty_applied, "fn(*, penalty, actor) after any penalty is applied (moderation.ladder.penalty_apply)")
_declare(on_penalty_overturned, "fn(*, penalty, actor) after any penalty is overturned (moderation.ladder.penalty_overturn)")
