"""Fill the zh-Hans catalogue from scripts/zh_hans/*.tsv (msgid<TAB>translation) and compile it.

Run after `o2o makemessages`: `.venv/bin/python scripts/translate.py`.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "o2o/locale/zh_Hans/LC_MESSAGES/django.po"


def main() -> int:
    table: dict[str, str] = {}
    for tsv in sorted((ROOT / "scripts/zh_hans").glob("*.tsv")):
        table.update(line.split("\t", 1) for line in tsv.read_text().splitlines() if "\t" in line)
    out, msgid, missing = [], None, []
    for line in PO.read_text().splitlines():
        if line.startswith("msgid "):
            msgid = line[6:].strip('"')
        elif line.startswith("msgstr ") and msgid:
            if msgid in table:
                line = f'msgstr "{table[msgid]}"'
            elif line == 'msgstr ""':
                missing.append(msgid)
            msgid = None
        elif line.startswith("#, fuzzy"):
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
