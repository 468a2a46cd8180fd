from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# The admin logs in through allauth, so MFA and rate limits apply to it too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Realname staff console"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("social.urls")),
    path("review/", include("moderation.urls")),
    path("", include("moderation.public_urls")),
    path("verify/", include("verification.urls")),
    path("", include("publicaccounts.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # Public media only (avatars); private files never get a URL.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
