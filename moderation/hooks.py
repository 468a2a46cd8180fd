"""Callbacks other apps connect in their AppConfig.ready(), so moderation acts on their data without importing them.

    from moderation import hooks
    hooks.on_user_closed.connect(close_public_accounts_of)     # fn(*, user, penalty, actor)
    hooks.on_user_reopened.connect(reopen_public_accounts_of)  # fn(*, user, penalty, actor)

Callbacks run inside the moderator's transaction: an exception rolls the whole decision back.
"""

from collections.abc import Callable


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
