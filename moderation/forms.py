"""The decision form, built from the options a kind of item offers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .appeals import STATEMENT_MAX_CHARS
from .ladder import FOREVER, MAX_DURATION_DAYS
from .models import TIMED_RUNGS, ReportCategory, Rule, Rung
from .registry import DecisionOption
from .reports import REPORT_TEXT_MAX_CHARS

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

    def __init__(self, *args, options: tuple[DecisionOption, ...], extra_fields: dict | None = None,
                 clean_extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {option.code: option for option in options}
        # A kind's own fields (a rule, a duration) and its check of them: clean_extra(decision, extra) -> {field: msg}.
        self.extra_names = list(extra_fields or {})
        self._clean_extra = clean_extra
        self.fields["decision"].choices = [(o.code, o.label) for o in options]
        for option in options:
            if option.reasons:
                self.fields[self.reason_field(option.code)] = forms.ChoiceField(
                    label=_("Reason if you choose “%(option)s”") % {"option": option.label}, required=False,
                    choices=[("", _("Choose a reason…")), *option.reasons],
                )
        for name, field in (extra_fields or {}).items():
            self.fields[name] = field
        self.order_fields(["decision", *(self.reason_field(c) for c in self.options), *self.extra_names, "note"])

    @staticmethod
    def reason_field(code: str) -> str:
        return f"reason_{code}"

    def reason_fields(self):
        """Bound fields of the reason lists, for the template."""
        return [self[name] for name in self.fields if name.startswith("reason_")]

    def extra_bound_fields(self):
        """Bound fields the kind added, for the template."""
        return [self[name] for name in self.extra_names]

    @property
    def extra(self) -> dict:
        """The cleaned values of the kind's fields."""
        return {name: self.cleaned_data.get(name) for name in self.extra_names}

    def clean(self):
        data = super().clean()
        option = self.options.get(data.get("decision", ""))
        if option is not None:
            if option.reasons and not data.get(self.reason_field(option.code)):
                self.add_error(self.reason_field(option.code), _("Choose a reason."))
            if option.note_required and not (data.get("note") or "").strip():
                self.add_error("note", option.note_required_message or _("Write a note for this decision."))
            if self._clean_extra is not None and not self.errors:
                for name, message in self._clean_extra(option.code, self.extra).items():
                    self.add_error(name if name in self.fields else None, message)
        return data

    @property
    def reason_code(self) -> str:
        option = self.options[self.cleaned_data["decision"]]
        return self.cleaned_data.get(self.reason_field(option.code), "") if option.reasons else ""


class ReportForm(forms.Form):
    """What is wrong with the content, and optionally in the reporter's words."""

    category = forms.ChoiceField(label=_("What is wrong?"), widget=forms.RadioSelect, choices=ReportCategory.choices,
                                 error_messages={"required": _("Choose what is wrong.")})
    text = forms.CharField(label=_("Tell us more (optional)"), required=False, max_length=REPORT_TEXT_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 4, "maxlength": REPORT_TEXT_MAX_CHARS}))


class AppealForm(forms.Form):
    """The owner's statement against one action."""

    statement = forms.CharField(
        label=_("Why was this action wrong?"), max_length=STATEMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": STATEMENT_MAX_CHARS}),
        help_text=_("You can appeal each action once. A moderator other than the one who acted will decide."),
        error_messages={"required": _("Say why the action was wrong.")},
    )


class LadderActionForm(forms.Form):
    """The staff console's "apply a ladder action": who, which rung, which rule, why, how long."""

    ids = forms.CharField(label=_("User ids"), help_text=_("Separated by commas."), max_length=2000)
    action = forms.TypedChoiceField(label=_("Action"), choices=Rung.choices, coerce=int)
    rule = forms.ChoiceField(label=_("Rule broken"), choices=Rule.choices)
    reason = forms.CharField(label=_("Reason (the user reads it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
                             help_text=_("Never write a real name, a document number or a phone number here."))
    duration_days = forms.IntegerField(label=_("Duration in days (restrict or suspend)"), required=False, min_value=1,
                                       max_value=MAX_DURATION_DAYS)
    ban = forms.ChoiceField(label=_("When closing: may this real identity open a new account?"), required=False,
                            choices=[("", "—"), ("days", _("Not for a number of days")), (FOREVER, _("Never again"))])
    ban_days = forms.IntegerField(label=_("Days without a new account"), required=False, min_value=1,
                                  max_value=MAX_DURATION_DAYS)

    def clean_ids(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["ids"].replace(" ", ",").split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Give user ids (numbers) separated by commas."))
        return sorted({int(p) for p in parts})

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in TIMED_RUNGS and not data.get("duration_days"):
            self.add_error("duration_days", _("Choose how long it lasts."))
        if action == Rung.CLOSE:
            if data.get("ban") not in ("days", FOREVER):
                self.add_error("ban", _("Choose whether this identity may open a new account later, and when."))
            elif data.get("ban") == "days" and not data.get("ban_days"):
                self.add_error("ban_days", _("Give the number of days."))
        return data

    @property
    def ban_value(self):
        if self.cleaned_data.get("action") != Rung.CLOSE:
            return None
        return self.cleaned_data["ban_days"] if self.cleaned_data.get("ban") == "days" else self.cleaned_data.get("ban")


class DismissCasesForm(forms.Form):
    """The note kept with a bulk dismissal."""

    note = forms.CharField(label=_("Note for the audit log (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}))
