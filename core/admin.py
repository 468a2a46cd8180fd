"""Admin pieces every app uses."""


class ReadOnlyAdminMixin:
    """Records that are evidence (identities, reveals, acceptances, audit): staff look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
