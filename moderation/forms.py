"""The decision form, built from the options a kind of item offers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .registry import DecisionOption

NOTE_MAX_CHARS = 2000


class DecisionForm(forms.Form):
    """One radio per option, a reason list for each option that needs one, and a note."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 error_messages={"required": _("Choose a decision.")})
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_CHARS}),
        help_text=_("Kept with the decision in the audit log. Never write a real name, "
                    "a document number or a phone number here."),
    )

    def __init__(self, *args, options: tuple[DecisionOption, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {option.code: option for option in options}
        self.fields["decision"].choices = [(o.code, o.label) for o in options]
        for option in options:
            if option.reasons:
                self.fields[self.reason_field(option.code)] = forms.ChoiceField(
                    label=_("Reason if you choose “%(option)s”") % {"option": option.label}, required=False,
                    choices=[("", _("Choose a reason…")), *option.reasons],
                )
        self.order_fields(["decision", *(self.reason_field(c) for c in self.options), "note"])

    @staticmethod
    def reason_field(code: str) -> str:
        return f"reason_{code}"

    def reason_fields(self):
        """Bound fields of the reason lists, for the template."""
        return [self[name] for name in self.fields if name.startswith("reason_")]

    def clean(self):
        data = super().clean()
        option = self.options.get(data.get("decision", ""))
        if option is not None:
            if option.reasons and not data.get(self.reason_field(option.code)):
                self.add_error(self.reason_field(option.code), _("Choose a reason."))
            if option.note_required and not (data.get("note") or "").strip():
                self.add_error("note", _("Write a note for this decision."))
        return data

    @property
    def reason_code(self) -> str:
        option = self.options[self.cleaned_data["decision"]]
        return self.cleaned_data.get(self.reason_field(option.code), "") if option.reasons else ""
