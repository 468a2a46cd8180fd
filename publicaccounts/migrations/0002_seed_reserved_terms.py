"""The first list of reserved terms (staff edit it in the admin): names using them go to review."""

from django.db import migrations

IMPERSONATION = [
    ("党", "party"), ("中共", "party"), ("政府", "government"), ("中央", "central authorities"),
    ("国务院", "State Council"), ("人大", "people's congress"), ("政协", "political consultative conference"),
    ("纪委", "discipline inspection"), ("法院", "court"), ("检察院", "procuratorate"), ("公安", "public security"),
    ("军", "military"), ("解放军", "People's Liberation Army"), ("武警", "armed police"), ("部队", "troops"),
    ("人民日报", "People's Daily"), ("新华", "Xinhua"), ("央视", "CCTV"), ("电视台", "TV station"),
    ("广播电台", "radio station"), ("通讯社", "news agency"), ("网信办", "cyberspace administration"),
    ("xinhua", "Xinhua"), ("cctv", "CCTV"), ("People's Daily", "People's Daily"), ("government", "government"),
]
NEWS = [("新闻", "news"), ("报道", "reporting"), ("资讯", "information / news"), ("news", "news")]


def forwards(apps, schema_editor):
    ReservedTerm = apps.get_model("publicaccounts", "ReservedTerm")
    for kind, terms in (("impersonation", IMPERSONATION), ("news", NEWS)):
        for term, note in terms:
            ReservedTerm.objects.get_or_create(term=term, defaults={"kind": kind, "note": note})


def backwards(apps, schema_editor):
    ReservedTerm = apps.get_model("publicaccounts", "ReservedTerm")
    ReservedTerm.objects.filter(term__in=[t for t, _n in IMPERSONATION + NEWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("publicaccounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
