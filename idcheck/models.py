"""The ledger of paid ID-number checks and the per-month row that serialises spending."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QueryResult(models.TextChoices):
    # PENDING is a reservation: the money is counted against the budget before the call is made.
    PENDING = "pending", _("In progress")
    MATCH = "match", _("Name matches number")
    MISMATCH = "mismatch", _("Name does not match number")
    NOT_FOUND = "not_found", _("Number not found")
    ERROR = "error", _("Service error")


class IdCheckQuery(models.Model):
    """One call to the ID-number service: who asked, for which fingerprint, what came back, what it cost."""

    # Also the idempotency key sent to the provider: a retry with it must not be charged twice.
    request_id = models.UUIDField(_("request id"), default=uuid.uuid4, unique=True, editable=False)
    # The HMAC of the document number (accounts.RealIdentity.fingerprint), never the number itself.
    fingerprint = models.CharField(_("identity fingerprint"), max_length=64, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="idcheck_queries", verbose_name=_("requested by"))
    backend = models.CharField(_("backend"), max_length=100)
    result = models.CharField(_("result"), max_length=16, choices=QueryResult.choices, default=QueryResult.PENDING)
    reference = models.CharField(_("provider reference"), max_length=128, blank=True)
    cost_fen = models.PositiveIntegerField(_("cost (fen)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ID-number check")
        verbose_name_plural = _("ID-number checks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One kept (or in-flight) result per identity, ever: errors drop out so a later retry may query again.
            models.UniqueConstraint(fields=["fingerprint"], condition=~Q(result=QueryResult.ERROR),
                                    name="idcheck_one_result_per_fingerprint"),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="idcheck_by_user_recent")]

    def __str__(self) -> str:
        return f"{self.fingerprint[:12]}… {self.result}"


class IdCheckBudgetMonth(models.Model):
    """A lock row per calendar month: reservations against the budget take it with select_for_update."""

    # The first day of the month in settings.TIME_ZONE; the spend itself is always summed from the ledger.
    month = models.DateField(_("month"), unique=True)

    class Meta:
        verbose_name = _("ID-check budget month")
        verbose_name_plural = _("ID-check budget months")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
