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


# --- The ladder: one set of fields and checks for the queue's decision form and the staff console -------

DURATIONS = (("1", _("1 day")), ("7", _("7 days")), ("30", _("30 days")), ("custom", _("Another number of days")))
OTHER_RUNG_MESSAGE = _("You chose another action than the suggested one: say why.")


def ladder_fields(*, may_close: bool, public_subject: bool = False, removable: bool = False) -> dict[str, forms.Field]:
    """Rule, duration, take-down, subject, identity ban (for who may close) and why another rung than suggested."""
    fields: dict[str, forms.Field] = {
        "rule": forms.ChoiceField(label=_("Rule broken"), required=False,
                                  choices=[("", _("Choose the rule…")), *Rule.choices]),
        "duration": forms.ChoiceField(label=_("Duration (restrict or suspend)"), required=False, choices=DURATIONS),
        "custom_days": forms.IntegerField(label=_("Number of days, if another"), required=False, min_value=1,
                                          max_value=MAX_DURATION_DAYS),
    }
    if removable:
        fields["remove_content"] = forms.BooleanField(label=_("Remove the offending content"), required=False)
    if public_subject:
        fields["apply_to"] = forms.ChoiceField(
            label=_("Apply to"), required=False, initial="public_account",
            choices=[("public_account", _("The public account only")), ("user", _("The owner's personal account"))])
    if may_close:
        fields["ban"] = forms.ChoiceField(
            label=_("When closing: may this real identity open a new account?"), required=False,
            choices=[("", _("Choose…")), ("days", _("Not for a number of days")), (FOREVER, _("Never again"))])
        fields["ban_days"] = forms.IntegerField(label=_("Days without a new account"), required=False, min_value=1,
                                                max_value=MAX_DURATION_DAYS)
    fields["rung_reason"] = forms.CharField(
        label=_("Why another action than the suggested one"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
        help_text=_("Required when you step up or down from the suggestion; kept in the audit log."))
    return fields


def ladder_errors(*, rung: int, suggested: list[int], values: dict) -> dict[str, str]:
    """The checks of a ladder choice, field by field; `suggested` holds the suggested rung of each account."""
    errors: dict[str, str] = {}
    if values.get("rule") not in Rule.values:
        errors["rule"] = str(_("Choose the rule that was broken."))
    if rung in TIMED_RUNGS:
        if values.get("duration") not in {code for code, _label in DURATIONS}:
            errors["duration"] = str(_("Choose how long it lasts."))
        elif values.get("duration") == "custom" and not values.get("custom_days"):
            errors["custom_days"] = str(_("Give the number of days."))
    if rung == Rung.CLOSE and values.get("apply_to") != "public_account":
        if values.get("ban") not in ("days", FOREVER):
            errors["ban"] = str(_("Choose whether this identity may open a new account later, and when."))
        elif values.get("ban") == "days" and not values.get("ban_days"):
            errors["ban_days"] = str(_("Give the number of days."))
    if any(rung != s for s in suggested) and not (values.get("rung_reason") or "").strip():
        errors["rung_reason"] = str(OTHER_RUNG_MESSAGE)
    return errors


def ladder_duration(values: dict):
    """The duration in days chosen with ladder_fields() (a number, or None)."""
    return values.get("custom_days") if values.get("duration") == "custom" else values.get("duration")


def ladder_ban(values: dict):
    """The identity ban chosen with ladder_fields(): a number of days, FOREVER, or None."""
    return values.get("ban_days") if values.get("ban") == "days" else (values.get("ban") or None)


class LadderActionForm(forms.Form):
    """The staff console's "apply a ladder action": the queue's ladder fields for accounts chosen by id.

    `suggested` maps each account's id to its suggested rung (strikes of the window), as on a queue item.
    """

    ids = forms.CharField(label=_("User ids"), help_text=_("Separated by commas."), max_length=2000, required=False)
    action = forms.TypedChoiceField(label=_("Action"), choices=Rung.choices, coerce=int)
    reason = forms.CharField(label=_("Reason (the user reads it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
                             help_text=_("Never write a real name, a document number or a phone number here."))

    def __init__(self, *args, may_close: bool, suggested_for=None, public_subject: bool = False,
                 removable: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_close = may_close
        # suggested_for(ids) -> {id: rung}; asked once the ids are clean.
        self._suggested_for = suggested_for
        self.suggested: dict[int, int] = {}
        self.fields.update(ladder_fields(may_close=may_close, public_subject=public_subject, removable=removable))
        self.order_fields(["ids", "action", *self.fields.keys()])

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data.get("ids") or ""
        parts = [p.strip() for p in raw.replace(" ", ",").split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Give user ids (numbers) separated by commas."))
        return sorted({int(p) for p in parts})

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == Rung.CLOSE and not self.may_close:
            self.add_error("action", _("Only a senior moderator may close an account."))
            return data
        if action is None:
            return data
        if "ids" in data and self._suggested_for is not None:
            self.suggested = dict(self._suggested_for(data["ids"]))
        for name, message in ladder_errors(rung=action, suggested=list(self.suggested.values()), values=data).items():
            self.add_error(name if name in self.fields else None, message)
        return data

    @property
    def duration_days(self):
        return ladder_duration(self.cleaned_data) if self.cleaned_data.get("action") in TIMED_RUNGS else None

    @property
    def ban_value(self):
        if self.cleaned_data.get("action") != Rung.CLOSE or self.cleaned_data.get("apply_to") == "public_account":
            return None
        return ladder_ban(self.cleaned_data)


class DismissCasesForm(forms.Form):
    """The note kept with a bulk dismissal."""

    note = forms.CharField(label=_("Note for the audit log (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}))
