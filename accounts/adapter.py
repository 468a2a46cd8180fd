"""allauth hooks: new users get a profile, their language and the agreement acceptance; mail leaves via Celery."""

import json

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.utils import translation

from core.crypto import encrypt_str

from .delivery import send_account_email


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.language = translation.get_language() or user.language
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's mail now (in the reader's language), send it from a Celery task after commit.

        Every account mail (confirmation, "account already exists", password reset, "unknown account")
        takes this path, so the request that causes one takes as long whichever it is, and no SMTP
        latency shows in the answer. The message crosses the broker encrypted: it holds a login link.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        token = encrypt_str(json.dumps({
            "subject": message.subject, "body": message.body, "from_email": message.from_email,
            "to": list(message.to), "headers": dict(message.extra_headers),
            "content_subtype": message.content_subtype,
            "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        }))
        transaction.on_commit(lambda: send_account_email.delay(token=token))
