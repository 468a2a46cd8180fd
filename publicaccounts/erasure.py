"""What account erasure removes from public accounts (registered with accounts.erasure in ready())."""

from .models import PublicAccount, Subscription


def erase_public_accounts(*, user) -> None:
    """The user's subscriptions and the public accounts they operate (articles, covers and scans follow)."""
    Subscription.objects.filter(user=user).delete()
    PublicAccount.objects.filter(owner=user).delete()
