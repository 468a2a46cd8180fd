"""Admin pieces every app uses."""

from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Records that are evidence (identities, reveals, acceptances, audit): staff look, never touch."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
