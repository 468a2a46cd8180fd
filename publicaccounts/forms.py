"""Forms for public-account pages: they parse and validate cheaply, services do the writing (and check again)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.images import ImageRejected, process_image

from . import articles, qualifications, services
from .models import (
    INTRODUCTION_MAX_CHARS,
    NAME_MAX_CHARS,
    TITLE_MAX_CHARS,
    ArticleCategory,
    Category,
    LicenceType,
    OperatorType,
    Origin,
)

ACCEPT = "image/jpeg,image/png,image/webp"
CHOOSE_AGAIN = _("Browsers do not keep a chosen file after an error, so please choose the image again.")


def _image_field(label, help_text, required=False):
    return forms.FileField(label=label, required=required, help_text=help_text,
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))


def _processed(form: forms.Form, name: str):
    """Run the safe image path on an uploaded file; the refusal lands beside the field."""
    upload = form.cleaned_data.get(name)
    if not upload:
        return None
    try:
        return process_image(upload)
    except ImageRejected as exc:
        raise ValidationError([exc.message, CHOOSE_AGAIN]) from None


def _absorb(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names (the rest at the top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field not in form.errors:
                form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class AccountRegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_CHARS,
                           help_text=_("Shown on the account page and on every article. Names of party, government, "
                                       "military or media bodies, and news words, are checked by a moderator first."))
    handle = forms.CharField(label=_("Handle"), max_length=30,
                             help_text=_("The account's address: /p/<handle>/. 3 to 30 letters, digits, - and _; "
                                         "it cannot be changed later."),
                             widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}))
    avatar = _image_field(_("Avatar"), _("JPEG, PNG or WebP, up to 10 MB. Shown publicly."))
    introduction = forms.CharField(label=_("Introduction"), required=False, max_length=INTRODUCTION_MAX_CHARS,
                                   widget=forms.Textarea(attrs={"rows": 4, "maxlength": INTRODUCTION_MAX_CHARS}))
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.OTHER)
    operator_type = forms.ChoiceField(label=_("Operated by"), choices=OperatorType.choices,
                                      initial=OperatorType.INDIVIDUAL, widget=forms.RadioSelect)
    operator_name = forms.CharField(label=_("Organisation name"), required=False, max_length=100,
                                    help_text=_("For an organisation: its registered name."))
    operator_code = forms.CharField(label=_("Unified social credit code"), required=False, max_length=30,
                                    help_text=_("For an organisation: the 18-character code on its business licence."),
                                    widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}))

    def clean_avatar(self):
        return _processed(self, "avatar")

    def clean(self):
        cleaned = super().clean()
        checks = [
            lambda: services.validate_name(cleaned.get("name", "")) if "name" in cleaned else None,
            lambda: services.validate_handle(cleaned.get("handle", "")) if "handle" in cleaned else None,
            lambda: services.validate_operator(operator_type=cleaned.get("operator_type", ""),
                                               operator_name=cleaned.get("operator_name", ""),
                                               operator_code=cleaned.get("operator_code", "")),
        ]
        for check in checks:
            try:
                check()
            except ValidationError as exc:
                _absorb(self, exc)
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"


class QualificationForm(forms.Form):
    licence_type = forms.ChoiceField(label=_("Licence type"), choices=LicenceType.choices, widget=forms.RadioSelect)
    licence_number = forms.CharField(label=_("Licence number"), max_length=60)
    issuing_authority = forms.CharField(label=_("Issuing authority"), max_length=100,
                                        help_text=_("E.g. the Cyberspace Administration of a province."))
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput(format="%Y-%m-%d"))
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput(format="%Y-%m-%d"),
                                  help_text=_("The last day the licence is valid. Its rights end after that day."))
    scan = _image_field(_("Scan of the licence"),
                        _("A clear photo or scan of the whole licence: JPEG, PNG or WebP, up to 10 MB. Only the "
                          "compliance officer reviewing it sees it."), required=True)

    def clean_scan(self):
        return _processed(self, "scan")

    def clean(self):
        cleaned = super().clean()
        if "valid_from" in cleaned and "valid_until" in cleaned:
            try:
                qualifications.validate_validity(valid_from=cleaned["valid_from"], valid_until=cleaned["valid_until"])
            except ValidationError as exc:
                _absorb(self, exc)
        return cleaned


class DecisionRadioSelect(forms.RadioSelect):
    """Radio buttons whose unavailable choices are disabled and carry the policy's reason."""

    def __init__(self, *args, decisions: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = decisions or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        decision = self.decisions.get(str(value))
        option["reason"] = ""
        option["unlock_url"] = ""
        option["unlock_label"] = ""
        if decision is not None and not decision.allowed:
            option["attrs"]["disabled"] = True
            option["attrs"]["aria-describedby"] = f"{option['attrs'].get('id', name)}_reason"
            option["reason"] = decision.reason
            option["unlock_url"] = decision.unlock_url
            option["unlock_label"] = decision.unlock_label
        return option


class ArticleForm(forms.Form):
    """Title, Markdown text, cover, category and (for political news) origin and source.

    `options` is rights.publishing_options(): choices the account may not use are disabled with the reason.
    """

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_CHARS)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 16}),
                           help_text=_("Markdown: **bold**, *italic*, [link](https://…), lists, > quotes, tables."))
    cover = _image_field(_("Cover image"), _("Optional. JPEG, PNG or WebP, up to 10 MB. Shown publicly."))
    remove_cover = forms.BooleanField(label=_("Remove the current cover image"), required=False)
    category = forms.ChoiceField(label=_("Kind of content"), choices=ArticleCategory.choices,
                                 initial=ArticleCategory.OTHER, widget=DecisionRadioSelect)
    origin = forms.ChoiceField(label=_("Origin of the news"), choices=Origin.choices, required=False,
                               widget=DecisionRadioSelect)
    source_unit = forms.CharField(label=_("Source: news unit"), max_length=100, required=False,
                                  help_text=_("The news unit that first published it."))
    original_author = forms.CharField(label=_("Original author"), max_length=100, required=False)
    original_title = forms.CharField(label=_("Original title"), max_length=200, required=False)
    original_url = forms.CharField(label=_("Original link"), max_length=500, required=False,
                                   widget=forms.URLInput(attrs={"placeholder": "https://"}))

    def __init__(self, *args, options: dict, has_cover: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        political = {o: d for (c, o), d in options.items() if c == ArticleCategory.POLITICAL_NEWS}
        any_political = next((d for d in political.values() if d.allowed), None)
        category_decisions = {ArticleCategory.OTHER: options[(ArticleCategory.OTHER, "")],
                              ArticleCategory.POLITICAL_NEWS: any_political or political[Origin.REPRODUCED]}
        self.fields["category"].widget.decisions = category_decisions
        self.fields["origin"].widget.decisions = political
        if not has_cover:
            del self.fields["remove_cover"]

    def clean_cover(self):
        return _processed(self, "cover")

    def clean(self):
        cleaned = super().clean()
        if self.errors.get("title") or self.errors.get("body") or self.errors.get("category"):
            return cleaned
        try:
            self.article_input = articles.clean_article(
                title=cleaned.get("title", ""), body=cleaned.get("body", ""), category=cleaned.get("category", ""),
                origin=cleaned.get("origin", ""), source_unit=cleaned.get("source_unit", ""),
                original_author=cleaned.get("original_author", ""), original_title=cleaned.get("original_title", ""),
                original_url=cleaned.get("original_url", ""))
        except ValidationError as exc:
            _absorb(self, exc)
            return cleaned
        decision = self.options.get((self.article_input.category, self.article_input.origin))
        if decision is not None and not decision.allowed:
            # The browser never sends a disabled choice; a crafted request gets the reason (the service checks too).
            self.add_error("origin" if self.article_input.origin else "category", decision.reason)
        return cleaned
