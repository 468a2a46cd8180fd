"""Forms for vouching: the applicant's claim and choice of friends, the voucher's statement."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.identity import normalise_name
from verification.documents import selectors
from verification.documents.models import DocumentKind
from verification.documents.numbers import number_validate


class VouchCaseForm(forms.Form):
    """The real name and document number as printed, and the friends asked to confirm them."""

    kind = forms.ModelChoiceField(label=_("Document the number is from"), queryset=DocumentKind.objects.none(),
                                  to_field_name="code", empty_label=None)
    real_name = forms.CharField(
        label=_("Real name"), max_length=60,
        help_text=_("As printed on your identity document. The friends you ask see it in full so they can "
                    "recognise it; nobody else does."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}))
    document_number = forms.CharField(
        label=_("Document number"), max_length=40,
        help_text=_("Your friends see it masked (for example 1101**********002X)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    vouchers = forms.TypedMultipleChoiceField(label=_("Friends to ask"), coerce=int, choices=(),
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, eligible_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = selectors.kinds_active()
        self.fields["kind"].initial = "resident_id"
        # The page draws the checkboxes itself (with the reasons for the others); these are the valid values.
        self.fields["vouchers"].choices = [(pk, str(pk)) for pk in eligible_ids]
        self.fields["vouchers"].error_messages["invalid_choice"] = _(
            "One of the friends you chose cannot vouch for you now. Please choose again.")

    def clean_real_name(self):
        name = normalise_name(self.cleaned_data["real_name"])
        if not name:
            raise ValidationError(_("Please enter your name as on the document."))
        return name

    def clean(self):
        cleaned = super().clean()
        kind, number = cleaned.get("kind"), cleaned.get("document_number")
        if kind and number:
            try:
                cleaned["document_number"] = number_validate(kind=kind, number=number)
            except ValidationError as exc:
                self.add_error("document_number", exc)
        return cleaned


class VouchConfirmForm(forms.Form):
    """The voucher's explicit statement; the label names the person (set by the view)."""

    statement = forms.BooleanField(required=True, error_messages={
        "required": _("Tick the statement to confirm, or decline the request.")})

    def __init__(self, *args, name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statement"].label = _(
            "I confirm that %(name)s is the real name of this person, whom I know personally.") % {"name": name}
