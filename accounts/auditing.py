"""The audit log, as accounts may reach it: accounts cannot import moderation (the arrow points down).

moderation's AppConfig.ready() registers its `audit.record` here, as it registers its penalty rules
with `accounts.policy`; accounts' services then write their entries through `record()`, inside the
transaction of the change they record.
"""

from collections.abc import Callable

_recorder: Callable[..., object] | None = None


def register_recorder(recorder: Callable[..., object]) -> None:
    """Set `recorder(*, actor, action, target=None, reason="", data=None)` (moderation.audit.record)."""
    global _recorder
    _recorder = recorder


def record(*, actor, action: str, target=None, reason: str = "", data: dict | None = None) -> None:
    """Append an audit entry; never a real name, a document number or a phone number in reason or data."""
    if _recorder is None:
        # A staff change that cannot be recorded must not happen: the caller's transaction rolls back.
        raise RuntimeError("no audit recorder registered (is moderation in INSTALLED_APPS?)")
    _recorder(actor=actor, action=action, target=target, reason=reason, data=data)
