"""Django looks for the app's models here: each room keeps its own, all under the app label `verification`."""

from .documents.models import DocumentImage, DocumentKind, DocumentSubmission
from .vouching.models import VouchCase, VoucherStrike, VouchRequest

__all__ = ["DocumentImage", "DocumentKind", "DocumentSubmission", "VouchCase", "VoucherStrike", "VouchRequest"]
