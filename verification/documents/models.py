"""Verification by identity document: the kinds of document accepted, submissions and their images."""

import logging
import re
import secrets
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.statemachine import StateMachineMixin, TransitionNotAllowed
from core.storage import delete_files, delete_private_files, private_storage  # noqa: F401 (migrations name them here)
from moderation.services import review_item_withdraw

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

logger = logging.getLogger(__name__)



def _random_name(folder: str, ext: str) -> str:
    # Names are chosen here, never by the uploader: an upload's name is untrusted input.
    return f"documents/{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{ext}"


def document_raw_path(instance, filename: str) -> str:
    """The untrusted upload as received: no extension, so nothing ever serves it by type."""
    return _random_name("raw", ".bin")


def document_image_path(instance, filename: str) -> str:
    """A clean image or thumbnail; only our own extensions survive."""
    ext = PurePosixPath(filename).suffix.lower()
    return _random_name("clean", ext if ext in {".jpg", ".png"} else ".jpg")


InvalidTransition = TransitionNotAllowed


class NumberFormat(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID number (check digit, region and birth date are checked)")
    REGEX = "regex", _("Pattern (regular expression)")


# The identity document type a resident ID number is fingerprinted under (accounts.DocumentType).
RESIDENT_ID_TYPE = "resident_id"


class DocumentKind(models.Model):
    """A kind of document users may upload; staff add and edit kinds in the admin."""

    code = models.SlugField(_("code"), max_length=32, unique=True,
                            help_text=_("Stored with every identity proven by this kind; never change it once used."))
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sides = models.PositiveSmallIntegerField(_("sides"), choices=[(1, _("One image")), (2, _("Two images"))], default=1)
    side1_label_zh = models.CharField(_("first image label (Chinese)"), max_length=60)
    side1_label_en = models.CharField(_("first image label (English)"), max_length=60)
    side2_label_zh = models.CharField(_("second image label (Chinese)"), max_length=60, blank=True)
    side2_label_en = models.CharField(_("second image label (English)"), max_length=60, blank=True)
    number_format = models.CharField(_("number format"), max_length=16, choices=NumberFormat.choices,
                                     default=NumberFormat.REGEX)
    number_regex = models.CharField(
        _("number pattern"), max_length=200, blank=True,
        help_text=_("A regular expression the whole number must match, after it is made upper-case and spaces "
                    "and hyphens are removed. Numbers must also be 5 to 20 letters and digits."))
    number_hint_zh = models.CharField(_("number hint (Chinese)"), max_length=200, blank=True)
    number_hint_en = models.CharField(_("number hint (English)"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("Only active kinds can be chosen by users."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("document kind")
        verbose_name_plural = _("document kinds")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        if self.number_format == NumberFormat.REGEX:
            if not self.number_regex:
                errors["number_regex"] = _("A pattern is needed for this number format.")
            else:
                try:
                    re.compile(self.number_regex)
                except re.error:
                    errors["number_regex"] = _("This is not a valid regular expression.")
        if self.sides == 2 and not (self.side2_label_zh and self.side2_label_en):
            errors["side2_label_en"] = _("A document with two images needs labels for the second image.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _zh() -> bool:
        return (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")

    @property
    def name(self) -> str:
        return self.name_zh if self._zh() else self.name_en

    @property
    def number_hint(self) -> str:
        return self.number_hint_zh if self._zh() else self.number_hint_en

    def side_label(self, side: int) -> str:
        zh = self._zh()
        if side == 1:
            return self.side1_label_zh if zh else self.side1_label_en
        return self.side2_label_zh if zh else self.side2_label_en

    @property
    def side_numbers(self) -> list[int]:
        return list(range(1, self.sides + 1))

    @property
    def identity_document_type(self) -> str:
        """The document type the typed number is stored and fingerprinted under."""
        # Every document whose number is a resident ID number (a mainland driver's licence
        # carries its holder's) shares the ID card's fingerprint, so the cap on accounts per
        # real identity cannot be sidestepped by proving the same person with another card.
        return RESIDENT_ID_TYPE if self.number_format == NumberFormat.RESIDENT_ID else self.code


class SubmissionStatus(models.TextChoices):
    PROCESSING = "processing", _("Checking the images")
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RESUBMIT_REQUESTED = "resubmit_requested", _("New upload requested")
    FAILED = "failed", _("Image refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (SubmissionStatus.PROCESSING, SubmissionStatus.PENDING)
# A reviewer decided these; their images are purged DOCUMENT_PURGE_DAYS after the decision.
DECIDED_STATUSES = (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED, SubmissionStatus.RESUBMIT_REQUESTED)


class RejectReason(models.TextChoices):
    UNREADABLE = "unreadable", _("Unreadable")
    EXPIRED = "expired", _("Expired")
    MISMATCH = "mismatch", _("Name or number mismatch")
    FORGERY = "forgery", _("Suspected forgery")
    OTHER = "other", _("Other")


class ResubmitReason(models.TextChoices):
    UNREADABLE = "unreadable", _("Unreadable (blurred, dark or glare)")
    INCOMPLETE = "incomplete", _("Part of the document cut off or covered")
    WRONG_SIDE = "wrong_side", _("A side is missing or the wrong page")
    OTHER = "other", _("Other")


# What the user is told, in plain words, for each reason (never which field of a mismatch was wrong).
REJECT_TEXTS: dict[str, "StrPromise"] = {
    RejectReason.UNREADABLE: _("The images were not clear enough to read the document."),
    RejectReason.EXPIRED: _("The document has expired. Please use a document that is still valid."),
    RejectReason.MISMATCH: _("The name or number does not match the document."),
    RejectReason.FORGERY: _("We could not confirm that the document is genuine."),
    RejectReason.OTHER: _("The document could not be accepted."),
}
RESUBMIT_TEXTS: dict[str, "StrPromise"] = {
    ResubmitReason.UNREADABLE: _("The images are not clear enough to read. Please take new photos in good light, "
                                 "without glare or blur."),
    ResubmitReason.INCOMPLETE: _("Part of the document is cut off or covered. Please photograph the whole document."),
    ResubmitReason.WRONG_SIDE: _("A side of the document is missing, or the wrong page was photographed."),
    ResubmitReason.OTHER: _("We need new photos of your document."),
}
FAILED_TEXT = _("An image could not be used. Please upload a clear photo in JPEG, PNG or WebP format.")


class DocumentSubmission(StateMachineMixin, models.Model):
    """One attempt to prove a real identity with a document, from upload to decision."""

    Status = SubmissionStatus
    # The only edges of the state machine; everything else is refused by transition().
    TRANSITIONS: dict[str, frozenset[str]] = {
        SubmissionStatus.PROCESSING: frozenset({SubmissionStatus.PENDING, SubmissionStatus.FAILED}),
        SubmissionStatus.PENDING: frozenset({
            SubmissionStatus.APPROVED, SubmissionStatus.REJECTED, SubmissionStatus.RESUBMIT_REQUESTED,
            SubmissionStatus.WITHDRAWN,
        }),
    }
    INITIAL = frozenset({SubmissionStatus.PROCESSING})

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="document_submissions")
    kind = models.ForeignKey(DocumentKind, on_delete=models.PROTECT, related_name="submissions",
                             verbose_name=_("document kind"))
    # RESTRICT: an identity cannot be deleted under a submission, except when the user goes and both go.
    identity = models.ForeignKey("accounts.RealIdentity", on_delete=models.RESTRICT, related_name="document_submissions")
    status = models.CharField(_("status"), max_length=24, choices=SubmissionStatus.choices,
                              default=SubmissionStatus.PROCESSING)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    processed_at = models.DateTimeField(_("images checked at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="document_decisions", verbose_name=_("reviewer"))
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    # The reviewer's note is for staff only: free text may name what must never reach the user.
    note = models.TextField(_("reviewer's note"), blank=True)
    # Why the image pipeline refused the stored upload (ImageRejected.code), for a failed submission.
    failure_code = models.CharField(_("failure"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("document submission")
        verbose_name_plural = _("document submissions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["status", "decided_at"])]
        constraints = [
            # A double submit may race past the service's check; the database has the last word.
            models.UniqueConstraint(fields=["user"], condition=models.Q(status__in=["processing", "pending"]),
                                    name="one_open_document_submission_per_user"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.status})"


    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reason_label(self) -> str:
        """The reviewer-facing label of the decision's reason."""
        choices = RejectReason if self.status == SubmissionStatus.REJECTED else ResubmitReason
        return dict(choices.choices).get(self.reason_code, self.reason_code)

    @property
    def reason_text(self) -> str:
        """The reason for a decision (or a refused image) in the words the user is told."""
        if self.status == SubmissionStatus.REJECTED:
            return REJECT_TEXTS.get(self.reason_code, REJECT_TEXTS[RejectReason.OTHER])
        if self.status == SubmissionStatus.RESUBMIT_REQUESTED:
            return RESUBMIT_TEXTS.get(self.reason_code, RESUBMIT_TEXTS[ResubmitReason.OTHER])
        if self.status == SubmissionStatus.FAILED:
            return FAILED_TEXT
        return ""


class DocumentImage(models.Model):
    """One side of a submitted document: the raw upload until processed, then a clean image and thumbnail."""

    submission = models.ForeignKey(DocumentSubmission, on_delete=models.CASCADE, related_name="images")
    side = models.PositiveSmallIntegerField(_("side"))
    raw = models.FileField(storage=private_storage, upload_to=document_raw_path, max_length=200, blank=True)
    image = models.FileField(storage=private_storage, upload_to=document_image_path, max_length=200, blank=True)
    thumbnail = models.FileField(storage=private_storage, upload_to=document_image_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # Of the original bytes; kept after the purge so a rejected image is recognised when sent again.
    sha256 = models.CharField(max_length=64, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document image")
        verbose_name_plural = _("document images")
        ordering = ["submission", "side"]
        constraints = [models.UniqueConstraint(fields=["submission", "side"], name="document_image_one_per_side")]

    def __str__(self) -> str:
        return f"{self.submission_id}/{self.side}"

    @property
    def label(self) -> str:
        """What this side is called on its kind of document (front, back, photo page)."""
        return self.submission.kind.side_label(self.side)

    @property
    def file_names(self) -> list[str]:
        return [f.name for f in (self.raw, self.image, self.thumbnail) if f]



@receiver(post_delete, sender=DocumentImage, dispatch_uid="verification.document_image_files")
def _document_image_files_follow_their_row(sender, instance: DocumentImage, **kwargs) -> None:
    # Whatever deletes the row (an account's cascade, a shell), the pictures go too, but only
    # once the deletion is committed: a rollback must not lose them.
    names = instance.file_names
    transaction.on_commit(lambda: delete_private_files(names))


@receiver(post_delete, sender=DocumentSubmission, dispatch_uid="verification.document_submission_queue")
def _deleted_submission_leaves_the_queue(sender, instance: DocumentSubmission, **kwargs) -> None:
    # A queue item pointing at nothing would stay in every reviewer's list.
    review_item_withdraw(target=instance, kind="document", actor=None, reason="the submission was deleted")
