"""Fill the zh-Hans catalogue from scripts/zh_hans/*.tsv (msgid<TAB>translation) and compile it.

Run after `o2o makemessages`: `.venv/bin/python scripts/translate.py`.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "o2o/locale/zh_Hans/LC_MESSAGES/django.po"


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def main() -> int:
    table: dict[str, str] = {}
    for tsv in sorted((ROOT / "scripts/zh_hans").glob("*.tsv")):
        table.update(line.split("\t", 1) for line in tsv.read_text().splitlines() if "\t" in line)
    out, msgid, plural_of, fuzzy, missing, mismatched = [], None, None, False, [], []
    for line in PO.read_text().splitlines():
        if line.startswith("msgid "):
            msgid, plural_of = line[6:].strip('"'), None
        elif not line.strip():
            fuzzy, plural_of = False, None  # the end of an entry
        elif line.startswith("msgstr ") and msgid:
            if msgid in table:
                line = f'msgstr "{table[msgid]}"'
            elif fuzzy:
                # makemessages' guess from a similar message is not a translation (its placeholders
                # may not even match): leave it untranslated until a .tsv says what it is
                line = 'msgstr ""'
            if line != 'msgstr ""' and _placeholders(line[7:]) != _placeholders(msgid):
                mismatched.append(msgid)
                line = 'msgstr ""'
            if line == 'msgstr ""':
                missing.append(msgid)
            msgid, fuzzy = None, False
        elif line.startswith("msgstr[") and (msgid or plural_of):
            # a plural entry: .tsv files carry none, so keep what the catalogue has unless it is
            # a fuzzy guess or its placeholders are not the message's
            msgid = msgid or plural_of
            index, _, text = line.partition(" ")
            if fuzzy or (text != '""' and _placeholders(text) != _placeholders(msgid)):
                if not fuzzy:
                    mismatched.append(msgid)
                line = f'{index} ""'
            plural_of, msgid = msgid, None
        elif line.startswith("#, fuzzy"):
            fuzzy = True
            flags = line[len("#, fuzzy") :].lstrip(", ")
            if flags:
                out.append(f"#, {flags}")
            continue
        out.append(line)
    PO.write_text("\n".join(out) + "\n")
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "compilemessages", "-l", "zh_Hans", "-l", "en"],
        check=True,
        cwd=ROOT / "o2o",
    )
    for msgid in missing:
        print("untranslated:", msgid)
    for msgid in mismatched:
        print("placeholders differ, left untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
