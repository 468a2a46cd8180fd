"""Staff groups, and the first published service agreement (so sign-up works on a fresh install)."""

from django.db import migrations
from django.utils import timezone

GROUPS = ["moderator", "senior moderator", "compliance"]

BODY_ZH = """欢迎使用本服务。注册即表示你同意遵守本协议。

一、后台实名，前台自愿。你需要向平台提供真实身份信息；其他用户看到的是你选择的昵称、头像和简介。平台依法保护你的身份信息，不会在公开页面展示你的真实姓名或证件号码。

二、七条底线。你承诺在使用本服务时遵守以下七条底线：
1. 法律法规底线；
2. 社会主义制度底线；
3. 国家利益底线；
4. 公民合法权益底线；
5. 社会公共秩序底线；
6. 道德风尚底线；
7. 信息真实性底线。

三、违反本协议的，平台将视情节采取警告、限制发布、暂停更新、关闭账号等措施，并告知原因与申诉方式。

四、你可以随时申请注销账号。注销有60天冷静期，期间可以撤销。"""

BODY_EN = """Welcome. By signing up you agree to this service agreement.

1. Real name in the back, free name in front. You give the platform your real identity; other users see the nickname, avatar and bio you choose. The platform protects your identity and never shows your real name or document number on a public page.

2. The seven bottom lines. When using the service you commit to respect:
1. laws and regulations;
2. the socialist system;
3. national interests;
4. the lawful rights and interests of citizens;
5. public order;
6. social morality;
7. the authenticity of information.

3. For breaches of this agreement the platform may warn, restrict publishing, suspend updates or close the account, and will tell you why and how to appeal.

4. You may ask to delete your account at any time. Deletion waits 60 days, during which you can cancel it."""


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    AgreementVersion = apps.get_model("accounts", "AgreementVersion")
    AgreementVersion.objects.get_or_create(
        version="2026.1",
        defaults={"title": "服务协议 / Service agreement", "body_zh": BODY_ZH, "body_en": BODY_EN,
                  "published_at": timezone.now()},
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]
