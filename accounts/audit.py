"""The door from accounts to the audit log.

The audit log lives in moderation, above accounts, and accounts imports nothing above it; so
moderation connects its writer here in its AppConfig.ready() (as it registers its policy rules),
and accounts' services record through `record()`. With no writer connected the write fails:
a staff action is never done without its audit entry.
"""

from collections.abc import Callable
from typing import Any

_writer: Callable[..., Any] | None = None


class AuditUnavailable(RuntimeError):
    """No audit writer is connected (moderation is not installed): the audited action must not happen."""


def connect(writer: Callable[..., Any]) -> None:
    """Install the function that appends an entry: writer(*, actor, action, target, reason, data)."""
    global _writer
    _writer = writer


def record(*, actor, action: str, target=None, reason: str = "", data: dict | None = None) -> Any:
    """Append an audit entry through the connected writer; call it inside the transaction of the change.

    Never put a real name, a document number or a phone number in `data`.
    """
    if _writer is None:
        raise AuditUnavailable("no audit writer is connected (moderation.apps connects moderation.audit.record)")
    return _writer(actor=actor, action=action, target=target, reason=reason, data=data)
