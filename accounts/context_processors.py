from django.utils.functional import SimpleLazyObject

from .notifications import unread_count
from .staff import needs_staff_mfa


def header(request):
    """The unread count for the header, computed only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
        # Staff and moderation groups see the way to the queue (the queue itself checks per kind).
        "is_reviewer": SimpleLazyObject(lambda: needs_staff_mfa(user)),
    }
