"""Forms for the verification pages; they parse and validate cheaply, services do the writing."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.identity import normalise_name
from core.images import ImageRejected, process_image

from . import selectors
from .models import DocumentKind
from .numbers import number_validate
from .services import side_field

ACCEPT = "image/jpeg,image/png,image/webp"
CHOOSE_AGAIN = _("Browsers do not keep a chosen file after an error, so please choose the image again.")


def _join(*parts) -> str:
    return " ".join(str(p) for p in parts)


# A message with the "choose again" advice that stays lazy, so it is shown in the reader's language.
_again = lazy(_join, str)


class DocumentKindChoiceForm(forms.Form):
    """Step 1: which document the user will photograph (decides how many images the next step asks for)."""

    kind = forms.ModelChoiceField(label=_("Which document will you upload?"), queryset=DocumentKind.objects.none(),
                                  to_field_name="code", empty_label=None, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = selectors.kinds_active()


class DocumentSubmissionForm(forms.Form):
    """Step 2: the real name and number as printed, and one image per side of the chosen document."""

    kind = forms.ModelChoiceField(queryset=DocumentKind.objects.none(), to_field_name="code", widget=forms.HiddenInput)
    real_name = forms.CharField(
        label=_("Real name"), max_length=60,
        help_text=_("Exactly as printed on the document. Only reviewers see it: it never appears on your profile."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}))
    document_number = forms.CharField(label=_("Document number"), max_length=40,
                                      widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def __init__(self, *args, kind: DocumentKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["kind"].queryset = selectors.kinds_active()
        self.fields["kind"].initial = kind.code
        self.fields["document_number"].help_text = kind.number_hint or _("As printed on the document.")
        for side in kind.side_numbers:
            self.fields[side_field(side)] = forms.FileField(
                label=kind.side_label(side),
                help_text=_("A clear photo of the whole document: JPEG, PNG or WebP, up to 10 MB."),
                error_messages={"required": _("Please choose an image for this side."),
                                "empty": _again(_("The file is empty."), CHOOSE_AGAIN),
                                "invalid": _again(_("No file was received."), CHOOSE_AGAIN)},
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        self.processed = {}

    @property
    def side_fields(self) -> list[str]:
        return [side_field(side) for side in self.kind.side_numbers]

    @property
    def uploads(self) -> list:
        return [self.cleaned_data[name] for name in self.side_fields]

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if kind.pk != self.kind.pk:
            raise ValidationError(_("Please choose the kind of document again."))
        return kind

    def clean_real_name(self):
        name = normalise_name(self.cleaned_data["real_name"])
        if not name:
            raise ValidationError(_("Please enter your name as on the document."))
        return name

    def clean_document_number(self):
        return number_validate(kind=self.kind, number=self.cleaned_data["document_number"])

    def clean(self):
        cleaned = super().clean()
        # The full pipeline runs here so a refused file is explained on the form, before anything is stored;
        # the worker runs it again on the stored bytes.
        for name in self.side_fields:
            upload = cleaned.get(name)
            if not upload:
                continue
            try:
                self.processed[name] = process_image(upload)
            except ImageRejected as exc:
                self.add_error(name, _again(exc.message, CHOOSE_AGAIN))
        hashes = {name: p.sha256 for name, p in self.processed.items()}
        rejected = selectors.rejected_image_hashes(hashes.values()) if hashes else set()
        for name, sha in hashes.items():
            if sha in rejected:
                self.add_error(name, _("This image was already rejected. Please take a new photo of your document."))
        return cleaned
