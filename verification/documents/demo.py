"""Demo data for `make run`: level1 has a resident ID card waiting in the review queue."""

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from core.testing import uploads_dir

from . import services
from .models import DocumentKind

DEMO_EMAIL = "level1@demo.local"
DEMO_NAME = "李四"
# One of the sandbox ID service's test identities (idcheck/backends.py): it answers "match".
DEMO_ID_NUMBER = "110101199003071233"
DEMO_IMAGES = ("id-front-gps-rotated.jpg", "id-back-plain.png")


def load_demo_verification() -> None:
    """Idempotent: once level1 has any document submission, running it again changes nothing."""
    user = User.objects.filter(email=DEMO_EMAIL).first()
    kind = DocumentKind.objects.filter(code="resident_id").first()
    if user is None or kind is None or user.document_submissions.exists():
        return
    folder = uploads_dir()
    uploads = [SimpleUploadedFile(name, (folder / name).read_bytes()) for name in DEMO_IMAGES[:kind.sides]]
    # The normal path: the image task runs after commit (inline with eager Celery, else in the worker).
    services.submission_create(user=user, kind=kind, real_name=DEMO_NAME, document_number=DEMO_ID_NUMBER,
                               uploads=uploads)
