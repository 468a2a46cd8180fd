"""Who may do what on the staff side: groups, permissions, staff and superuser flags (audited writes).

Only a superuser changes these, never on their own account: the person who gains or loses a power
is never the one who grants it, and every change is an audit entry naming both.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .models import User


def _require_grantor(*, actor: User, user: User) -> None:
    if not (actor and actor.is_active and actor.is_superuser):
        raise PermissionDenied(_("Only a superuser may change staff rights."))
    if actor.pk == user.pk:
        raise PermissionDenied(_("You may not change your own staff rights: ask another superuser."))


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _perm_label(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def user_groups_set(*, user: User, groups: Iterable[Group], actor: User, reason: str) -> User:
    """Make `groups` the user's groups exactly; audited as "user.groups" with what was added and removed.

    Fires: accounts.audit recorder (moderation.audit.record).
    """
    _require_grantor(actor=actor, user=user)
    wanted = {g.pk: g for g in groups}
    with transaction.atomic():
        locked = _lock(user)
        current = {g.pk: g for g in locked.groups.all()}
        added = sorted(wanted[pk].name for pk in wanted.keys() - current.keys())
        removed = sorted(current[pk].name for pk in current.keys() - wanted.keys())
        if added or removed:
            locked.groups.set(list(wanted.values()))
            audit.record(actor=actor, action="user.groups", target=locked, reason=reason,
                         data={"added": added, "removed": removed})
    return user


def user_permissions_set(*, user: User, permissions: Iterable[Permission], actor: User, reason: str) -> User:
    """Make `permissions` the user's own permissions exactly; audited as "user.permissions".

    Fires: accounts.audit recorder (moderation.audit.record).
    """
    _require_grantor(actor=actor, user=user)
    wanted = {p.pk: p for p in permissions}
    with transaction.atomic():
        locked = _lock(user)
        current = {p.pk: p for p in locked.user_permissions.select_related("content_type")}
        added = sorted(_perm_label(wanted[pk]) for pk in wanted.keys() - current.keys())
        removed = sorted(_perm_label(current[pk]) for pk in current.keys() - wanted.keys())
        if added or removed:
            locked.user_permissions.set(list(wanted.values()))
            audit.record(actor=actor, action="user.permissions", target=locked, reason=reason,
                         data={"added": added, "removed": removed})
    return user


def user_staff_flags_set(*, user: User, is_staff: bool, is_superuser: bool, actor: User, reason: str) -> User:
    """Set the staff and superuser flags; audited as "user.staff_flags" with the before and after.

    Fires: accounts.audit recorder (moderation.audit.record).
    """
    _require_grantor(actor=actor, user=user)
    if is_superuser and not is_staff:
        raise PermissionDenied(_("A superuser must also be staff."))
    with transaction.atomic():
        locked = _lock(user)
        before = {"is_staff": locked.is_staff, "is_superuser": locked.is_superuser}
        after = {"is_staff": bool(is_staff), "is_superuser": bool(is_superuser)}
        if before != after:
            locked.is_staff, locked.is_superuser = after["is_staff"], after["is_superuser"]
            locked.save(update_fields=["is_staff", "is_superuser"])
            audit.record(actor=actor, action="user.staff_flags", target=locked, reason=reason,
                         data={"before": before, "after": after})
    user.refresh_from_db(fields=["is_staff", "is_superuser"])
    return user


def user_access_set(*, user: User, groups: Iterable[Group], permissions: Iterable[Permission], is_staff: bool,
                    is_superuser: bool, actor: User, reason: str) -> User:
    """Groups, permissions and flags in one transaction: all of the change is recorded, or none of it."""
    with transaction.atomic():
        user_groups_set(user=user, groups=groups, actor=actor, reason=reason)
        user_permissions_set(user=user, permissions=permissions, actor=actor, reason=reason)
        user_staff_flags_set(user=user, is_staff=is_staff, is_superuser=is_superuser, actor=actor, reason=reason)
    return user
