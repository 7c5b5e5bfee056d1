from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_in_the_catalogue_has_a_chinese_translation():
    entries = PO.read_text().split("\n\n")[1:]

    untranslated = [entry for entry in entries if entry.strip().endswith('msgstr ""')]

    assert untranslated == []


def test_the_compiled_catalogue_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("ready for pickup") == "待自提"
    with translation.override("en"):
        assert translation.gettext("ready for pickup") == "ready for pickup"
