"""Demo data for `make run`: level2 runs a public account with a reproduction licence and two articles."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.images import process_image
from core.testing import uploads_dir

from .models import (
    AccountStatus,
    Article,
    ArticleCategory,
    Category,
    LicenceType,
    Origin,
    PublicAccount,
    Qualification,
    QualificationStatus,
)
from .names import name_key
from .rendering import render_markdown

DEMO_EMAIL = "level2@demo.local"
DEMO_HANDLE = "laowang-notes"
DEMO_NAME = "老王观察 Laowang Notes"
DEMO_LICENCE_NUMBER = "10120230001"
DEMO_SCAN = "id-back-plain.png"

ARTICLES = [
    {
        "title": "国务院常务会议部署稳就业举措（转载）",
        "body": "国务院常务会议研究部署进一步稳就业的政策措施。\n\n"
                "*本文转载自新华社，版权归原作者所有。* / *Reproduced from Xinhua; rights remain with the author.*",
        "category": ArticleCategory.POLITICAL_NEWS, "origin": Origin.REPRODUCED,
        "source_unit": "新华社 Xinhua News Agency", "original_author": "新华社记者",
        "original_title": "国务院常务会议部署稳就业举措", "original_url": "https://www.news.cn/",
    },
    {
        "title": "周末去哪儿：北京胡同散步路线 / A weekend walk through Beijing's hutongs",
        "body": "## 路线 Route\n\n1. 南锣鼓巷 Nanluoguxiang\n2. 什刹海 Shichahai\n3. 烟袋斜街 Yandai Xiejie\n\n"
                "> 记得带水。Bring water.",
        "category": ArticleCategory.OTHER, "origin": "",
    },
]


def load_demo_publicaccounts() -> None:
    """Idempotent: once level2's demo account exists, running it again changes nothing."""
    owner = User.objects.filter(email=DEMO_EMAIL).first()
    if owner is None or PublicAccount.objects.filter(handle__iexact=DEMO_HANDLE).exists():
        return
    today = timezone.localdate()
    # Written directly: demo data should not send notifications or wait for a reviewer.
    with transaction.atomic():
        account = PublicAccount.objects.create(
            owner=owner, name=DEMO_NAME, name_key=name_key(DEMO_NAME), handle=DEMO_HANDLE,
            introduction="城市生活与时事转载。经互联网新闻信息服务（转载）许可。\n"
                         "City life, and current affairs reproduced with a news-service licence.",
            category=Category.NEWS, status=AccountStatus.ACTIVE,
        )
        scan = process_image((uploads_dir() / DEMO_SCAN).read_bytes())
        qualification = Qualification(
            account=account, licence_type=LicenceType.REPRODUCTION, licence_number=DEMO_LICENCE_NUMBER,
            issuing_authority="北京市互联网信息办公室", valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=365), applied_by=owner,
            scan_content_type=scan.content_type, scan_width=scan.width,
            scan_height=scan.height,
        )
        qualification.scan.save(f"scan{scan.extension}", ContentFile(scan.content), save=False)
        qualification.save()
        # Approved along the declared edge (pending -> approved), without the reviewer's notifications.
        qualification.transition(to=QualificationStatus.APPROVED)
        qualification.decided_at = timezone.now()
        qualification.save(update_fields=["status", "decided_at"])
        now = timezone.now()
        for age, data in enumerate(ARTICLES):
            Article.objects.create(account=account, author=owner, body_html=render_markdown(data["body"]),
                                   published_at=now - timedelta(hours=age), **data)
