"""The list of extension points, so `manage.py show_wiring` can print them without importing any app.

Each registry module (accounts.policy, accounts.erasure, accounts.audit, moderation.registry,
moderation.targets, moderation.hooks) declares its points here when it is imported:

    wiring.extension_point("accounts.erasure erasers", "fn(*, user): erase an app's part of a deleted account",
                           lambda: [wiring.name_of(e) for e in erasers()])

and each app registers on them from one place, `<app>/wiring.py`, called by its AppConfig.ready().
core imports no app: the registries come to it.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ExtensionPoint:
    """One place apps plug into: its name, what a registration is, and how to list what is registered."""

    name: str
    description: str
    lister: Callable[[], list[str]]

    def registered(self) -> list[str]:
        """What is registered on this point now, each named (module.function, kind code → class, …)."""
        return self.lister()


_points: dict[str, ExtensionPoint] = {}


def extension_point(name: str, description: str, lister: Callable[[], list[str]]) -> None:
    """Declare an extension point; declaring the same name again replaces it (a module reload)."""
    _points[name] = ExtensionPoint(name=name, description=description, lister=lister)


def extension_points() -> list[ExtensionPoint]:
    """Every declared extension point, sorted by name."""
    return [_points[name] for name in sorted(_points)]


def name_of(obj: object) -> str:
    """`module.qualname` of a function or class; of an instance, its class's."""
    target = obj if hasattr(obj, "__qualname__") else type(obj)
    return f"{target.__module__}.{target.__qualname__}"
