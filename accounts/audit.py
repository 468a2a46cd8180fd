"""The audit log, as accounts may reach it: moderation registers its recorder (accounts cannot import moderation).

    from accounts import audit
    audit.record(actor=staff, action="user.level_set", target=user, reason=reason, data={"from": 1, "to": 0})

moderation.apps registers `moderation.audit.record` in ready(). With no recorder registered, record()
raises: a staff change must never happen without its entry.
"""

from collections.abc import Callable

from core import wiring

Recorder = Callable[..., object]

_recorder: list[Recorder] = []


class AuditUnavailable(RuntimeError):
    """No audit recorder is registered (moderation is not installed): the change is refused."""


def register_recorder(recorder: Recorder) -> None:
    """Set `recorder(*, actor, action, target, reason, data)`; the same one again is harmless."""
    _recorder[:] = [recorder]


def recorder() -> Recorder | None:
    """The registered recorder, or None when there is none (audited staff changes are then refused)."""
    return _recorder[0] if _recorder else None


wiring.extension_point("accounts.audit recorder", "fn(*, actor, action, target, reason, data): writes the audit log",
                       lambda: [wiring.name_of(r) for r in [recorder()] if r is not None])


def record(*, actor, action: str, target=None, reason: str = "", data: dict | None = None):
    """Append an audit entry through the registered recorder, inside the caller's transaction."""
    if not _recorder:
        raise AuditUnavailable("no audit recorder is registered")
    return _recorder[0](actor=actor, action=action, target=target, reason=reason, data=data)
