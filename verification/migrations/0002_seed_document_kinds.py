"""The documents accepted at launch (DOMAIN.md §2); staff add more in the admin."""

from django.db import migrations

# Patterns apply to the number made upper-case, without spaces or hyphens.
KINDS = [
    {
        "code": "resident_id", "order": 10, "sides": 2, "number_format": "resident_id", "number_regex": "",
        "name_zh": "居民身份证", "name_en": "Resident identity card",
        "side1_label_zh": "人像面", "side1_label_en": "Front (with your photo)",
        "side2_label_zh": "国徽面", "side2_label_en": "Back (with the national emblem)",
        "number_hint_zh": "18 位公民身份号码，最后一位可能是 X。",
        "number_hint_en": "The 18-character citizen ID number; the last one may be X.",
    },
    {
        "code": "passport", "order": 20, "sides": 1, "number_format": "regex", "number_regex": r"[A-Z0-9]{5,12}",
        "name_zh": "护照", "name_en": "Passport",
        "side1_label_zh": "个人资料页", "side1_label_en": "Photo page",
        "side2_label_zh": "", "side2_label_en": "",
        "number_hint_zh": "资料页上的护照号码，例如 E12345678。",
        "number_hint_en": "The passport number on the photo page, e.g. E12345678.",
    },
    {
        # A mainland driving licence is numbered with its holder's citizen ID number.
        "code": "drivers_licence", "order": 30, "sides": 1, "number_format": "resident_id", "number_regex": "",
        "name_zh": "机动车驾驶证", "name_en": "Driver's licence",
        "side1_label_zh": "正本（带照片的一面）", "side1_label_en": "Main page (with your photo)",
        "side2_label_zh": "", "side2_label_en": "",
        "number_hint_zh": "驾驶证上的证号，即 18 位公民身份号码。",
        "number_hint_en": "The licence number, which is your 18-character citizen ID number.",
    },
    {
        "code": "military_officer", "order": 40, "sides": 1, "number_format": "regex",
        "number_regex": r"[A-Z0-9]{5,20}",
        "name_zh": "军官证", "name_en": "Military officer's card",
        "side1_label_zh": "带照片的一页", "side1_label_en": "Page with your photo",
        "side2_label_zh": "", "side2_label_en": "",
        "number_hint_zh": "只填写证件号码中的字母和数字，例如“军字第12345678号”填写 12345678。",
        "number_hint_en": "Only the letters and digits of the number, e.g. 12345678 for 军字第12345678号.",
    },
    {
        "code": "soldier", "order": 50, "sides": 1, "number_format": "regex", "number_regex": r"[A-Z0-9]{5,20}",
        "name_zh": "士兵证", "name_en": "Soldier's card",
        "side1_label_zh": "带照片的一页", "side1_label_en": "Page with your photo",
        "side2_label_zh": "", "side2_label_en": "",
        "number_hint_zh": "只填写证件号码中的字母和数字，例如“士字第1234567号”填写 1234567。",
        "number_hint_en": "Only the letters and digits of the number, e.g. 1234567 for 士字第1234567号.",
    },
]


def forwards(apps, schema_editor):
    DocumentKind = apps.get_model("verification", "DocumentKind")
    for kind in KINDS:
        DocumentKind.objects.get_or_create(code=kind["code"], defaults={k: v for k, v in kind.items() if k != "code"})


def backwards(apps, schema_editor):
    apps.get_model("verification", "DocumentKind").objects.filter(
        code__in=[k["code"] for k in KINDS], submissions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
