"""Forms for social pages: they parse and validate, services do the writing."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.images import ImageRejected, process_image

from .models import COMMENT_MAX_CHARS

_ACCEPT = "image/jpeg,image/png,image/webp"
_SHOWN_NAME_MAX = 60


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _file_error(position: int, upload, reason) -> ValidationError:
    """An error naming the file by its position and its name, so the user knows which one to replace."""
    # The name is the user's own, shown back to them only (escaped by the template).
    name = (getattr(upload, "name", "") or "")[:_SHOWN_NAME_MAX]
    return ValidationError(_("Picture %(position)d (%(name)s): %(reason)s"), code="file",
                           params={"position": position, "name": name, "reason": reason})


class MultipleFileField(forms.FileField):
    """A file field taking several files (Django's documented pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        items = list(data) if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not items:
            single_file_clean(None, initial)  # raises "required" when the field is required
            return []
        files, errors = [], []
        for position, item in enumerate(items, start=1):
            try:
                files.append(single_file_clean(item, initial))
            except ValidationError as exc:
                errors.extend(_file_error(position, item, message) for message in exc.messages)
        if errors:
            raise ValidationError(errors)
        return files


class MomentForm(forms.Form):
    text = forms.CharField(
        label=_("What's on your mind?"), required=False, max_length=settings.MOMENT_MAX_CHARS, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    images = MultipleFileField(
        label=_("Pictures"), required=False, widget=MultipleFileInput(attrs={"accept": _ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form so the number lands in the reader's language, not the import-time one.
        self.fields["images"].help_text = gettext(
            "Up to %(n)d JPEG, PNG or WebP pictures. Only you and your friends can see them."
        ) % {"n": settings.MOMENT_MAX_IMAGES}

    def clean(self):
        cleaned = super().clean()
        uploads = cleaned.get("images") or []
        if len(uploads) > settings.MOMENT_MAX_IMAGES:
            # Refused before decoding anything: nine pictures are the most we would keep.
            self.add_error("images", ValidationError(
                _("You can add at most %(max)d pictures; you chose %(n)d."),
                code="too_many", params={"max": settings.MOMENT_MAX_IMAGES, "n": len(uploads)}))
            uploads = []
        processed = []
        for position, upload in enumerate(uploads, start=1):
            try:
                processed.append(process_image(upload))
            except ImageRejected as exc:
                self.add_error("images", _file_error(position, upload, exc.message))
        if self.has_error("images"):
            self.add_error("images", ValidationError(
                _("Nothing was posted. Please choose your pictures again."), code="files_lost"))
            processed = []
        cleaned["processed_images"] = processed
        if not self.errors and not cleaned.get("text") and not processed:
            raise ValidationError(_("Write something or add at least one picture."), code="empty")
        return cleaned


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX_CHARS, strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a comment first.")},
    )
