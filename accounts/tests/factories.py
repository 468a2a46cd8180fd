import factory
from django.utils import timezone

from accounts.models import AgreementAcceptance, Level, LevelSource, PhoneNumber, Profile, User
from accounts.services import agreement_current

PASSWORD = "Demo-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    """A user who confirmed their email and accepted the agreement in force (level 0)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def setup(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.save()
        Profile.objects.get_or_create(user=obj, defaults={"nickname": f"Nick{obj.pk}"})
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(user=obj, email=obj.email, defaults={"verified": True, "primary": True})
        version = agreement_current()
        if version is not None:
            AgreementAcceptance.objects.get_or_create(user=obj, version=version)


class Level1UserFactory(UserFactory):
    level = Level.INDIRECT
    level_source = LevelSource.PHONE
    level_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def phone(obj, create, extracted, **kwargs):
        if create:
            PhoneNumber.objects.create(user=obj, number=f"+86138{obj.pk:08d}", confirmed_at=timezone.now())


class Level2UserFactory(Level1UserFactory):
    level = Level.VERIFIED
    level_source = LevelSource.DOCUMENT
