"""Closures from the enforcement ladder: what closes a public account, and what reopens it.

Connected to moderation's hooks in PublicAccountsConfig.ready(); every callback runs inside the
moderator's transaction, so a failure here rolls the whole decision back.

- The owner's personal account is closed: their live public accounts close with it.
- A closure is applied to one public account: that account closes.
- Either closure is overturned on appeal: exactly the accounts it closed reopen, to the status they had,
  unless another closure still in force holds them (which then becomes the one that holds them).

Timed rungs (restrict, suspend) change no status: they are penalties in force that the publishing
decision asks every time (moderation.restrictions), so they end by themselves.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from moderation import audit
from moderation.models import Penalty, Rung

from .models import AccountStatus, PublicAccount

# The statuses a closure takes an account from (the declared edges to CLOSED).
CLOSABLE = (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)


def _close(account: PublicAccount, *, penalty: Penalty, actor) -> None:
    was = account.status
    account.transition(to=AccountStatus.CLOSED)
    account.status_before_closure = was
    account.closed_by_penalty = penalty
    account.save(update_fields=["status", "status_before_closure", "closed_by_penalty"])
    audit.record(actor=actor, action="publicaccount.close", target=account,
                 data={"penalty": penalty.pk, "status_before": was})


def _other_closure_in_force(account: PublicAccount, *, besides: Penalty) -> Penalty | None:
    """A closure still in force on the account itself or on its owner, other than `besides`."""
    ct = ContentType.objects.get_for_model(PublicAccount)
    return (Penalty.objects.in_force().filter(action__gte=Rung.CLOSE)
            .filter(Q(content_type=ct, object_id=account.pk) | Q(user_id=account.owner_id))
            .exclude(pk=besides.pk).order_by("created_at", "pk").first())


def accounts_close_for_user(*, user, penalty: Penalty, actor) -> int:
    """on_user_closed: close the owner's live public accounts, remembering that this penalty did; how many."""
    with transaction.atomic():
        accounts = list(PublicAccount.objects.select_for_update().filter(owner_id=user.pk, status__in=CLOSABLE)
                        .order_by("pk"))
        for account in accounts:
            _close(account, penalty=penalty, actor=actor)
    return len(accounts)


def account_close_for_penalty(*, penalty: Penalty, actor) -> bool:
    """on_penalty_applied: a closure applied to one public account closes it (True when it did now)."""
    if penalty.action < Rung.CLOSE or penalty.object_id is None:
        return False
    if penalty.content_type_id != ContentType.objects.get_for_model(PublicAccount).pk:
        return False
    with transaction.atomic():
        account = PublicAccount.objects.select_for_update().filter(pk=penalty.object_id).first()
        # Already closed (with its owner): it stays closed, held by the earlier closure; reopening
        # that one finds this closure still in force and hands the account over to it.
        if account is None or account.status not in CLOSABLE:
            return False
        _close(account, penalty=penalty, actor=actor)
    return True


def accounts_reopen(*, penalty: Penalty, actor, user=None) -> int:
    """on_user_reopened / on_penalty_overturned: reopen what this penalty closed, as it was; how many reopened.

    Connected to both hooks: whichever runs second finds nothing left to do.
    """
    reopened = 0
    with transaction.atomic():
        for account in PublicAccount.objects.select_for_update().filter(closed_by_penalty=penalty,
                                                                        status=AccountStatus.CLOSED).order_by("pk"):
            other = _other_closure_in_force(account, besides=penalty)
            if other is not None:
                account.closed_by_penalty = other
                account.save(update_fields=["closed_by_penalty"])
                continue
            back_to = account.status_before_closure or AccountStatus.ACTIVE
            account.transition(to=back_to)
            account.status_before_closure = ""
            account.closed_by_penalty = None
            account.save(update_fields=["status", "status_before_closure", "closed_by_penalty"])
            audit.record(actor=actor, action="publicaccount.reopen", target=account,
                         data={"penalty": penalty.pk, "status": back_to})
            reopened += 1
    return reopened
