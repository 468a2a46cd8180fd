"""Declared state machines: a model lists its edges once, as data; every other change is refused."""


class TransitionNotAllowed(Exception):
    """A status change the model's graph does not declare (a programming error, not a user's)."""


class StateMachineMixin:
    """For models with a `status` field and `TRANSITIONS = {from_status: {to_status, ...}}`."""

    TRANSITIONS: dict = {}

    def can_transition(self, to: str) -> bool:
        return to in self.TRANSITIONS.get(self.status, frozenset())

    def transition(self, *, to: str) -> None:
        """Move to `to` if the graph allows it (the caller saves)."""
        if not self.can_transition(to):
            raise TransitionNotAllowed(f"{type(self).__name__} {self.pk}: {self.status} -> {to} is not allowed")
        self.status = to
        self.on_transition(to)

    def on_transition(self, to: str) -> None:
        """Hook for what every move stamps (e.g. a decision time); nothing by default."""
