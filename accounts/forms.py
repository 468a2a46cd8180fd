"""Forms for accounts pages; they only parse and validate, services do the writing."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumbers import NumberParseException, PhoneNumberType, number_type
from phonenumbers import parse as parse_number

from core.images import ImageRejected, process_image

from . import services
from .models import Profile, RevealReason
from .utils import client_ip, user_agent


class SignupExtraForm(forms.Form):
    """Added to allauth's signup form: the nickname and the agreement checkbox."""

    nickname = forms.CharField(label=_("Nickname"), max_length=30,
                               help_text=_("What other people see. Not your real name unless you want it."))
    accept_agreement = forms.BooleanField(
        label=_("I have read the service agreement and commit to the seven bottom lines."),
        required=True,
        error_messages={"required": _("You must accept the service agreement to sign up.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = services.agreement_current()

    def clean(self):
        cleaned = super().clean()
        if self.agreement is None:
            raise ValidationError(_("Sign-up is closed while no service agreement is published."))
        return cleaned

    def signup(self, request, user):
        """Called by allauth once the user row exists, inside its signup flow."""
        services.profile_create(user=user, nickname=self.cleaned_data["nickname"])
        services.agreement_accept(user=user, version=self.agreement,
                                  ip_address=client_ip(request), user_agent=user_agent(request))


class AgreementAcceptForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read this version of the service agreement and accept it."),
        error_messages={"required": _("Tick the box to accept the agreement.")},
    )


class ProfileForm(forms.ModelForm):
    avatar_upload = forms.FileField(label=_("Avatar"), required=False,
                                    help_text=_("JPEG, PNG or WebP, up to 10 MB."),
                                    widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))

    class Meta:
        model = Profile
        fields = ["nickname", "handle", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}

    def clean_handle(self):
        handle = self.cleaned_data.get("handle") or None
        if handle and handle.isdigit():
            raise ValidationError(_("A handle cannot be only digits."))
        if handle and Profile.objects.filter(handle__iexact=handle).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("This handle is taken."))
        return handle

    def clean_avatar_upload(self):
        upload = self.cleaned_data.get("avatar_upload")
        if not upload:
            return None
        try:
            return process_image(upload)
        except ImageRejected as exc:
            raise ValidationError(exc.message) from None


class PhoneForm(forms.Form):
    number = PhoneNumberField(label=_("Mobile number"), region="CN",
                              widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
                              help_text=_("A mainland China mobile number, e.g. 138 0013 8000."))

    def clean_number(self):
        number = self.cleaned_data["number"]
        try:
            parsed = parse_number(str(number), "CN")
        except NumberParseException:
            raise ValidationError(_("Please enter a valid mobile number.")) from None
        if parsed.country_code != 86 or number_type(parsed) not in (PhoneNumberType.MOBILE,
                                                                     PhoneNumberType.FIXED_LINE_OR_MOBILE):
            raise ValidationError(_("Please enter a mainland China mobile number."))
        return number


class PhoneCodeForm(forms.Form):
    code = forms.RegexField(label=_("Code"), regex=r"^\s*\d{6}\s*$", max_length=10,
                            error_messages={"invalid": _("The code has 6 digits.")},
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class RevealForm(forms.Form):
    """The ground (from a fixed list) and the written reason for revealing a full identity."""

    reason_code = forms.ChoiceField(label=_("Ground"), choices=RevealReason.choices, widget=forms.RadioSelect,
                                    error_messages={"required": _("Choose the ground for this reveal.")})
    reason_text = forms.CharField(
        label=_("Why do you need to see the full identity?"), min_length=10, max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
        help_text=_("At least 10 characters: a case or request number and what you need to check. Kept with your "
                    "name and the time. Do not copy the name or the number here."),
        error_messages={"required": _("Explain why in at least 10 characters."),
                        "min_length": _("Explain why in at least 10 characters.")})


class DeletionForm(forms.Form):
    """Asking to delete the account: the password again (someone at an unlocked screen is not the owner)."""

    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    confirm = forms.BooleanField(
        label=_("I understand that after the waiting period my account and everything in it are erased for good."),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("This password is not right."))
        return password
