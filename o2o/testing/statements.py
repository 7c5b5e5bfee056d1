"""What a test captured (CaptureQueriesContext), shortened to each statement's verb and table."""

import re

_SHAPE = re.compile(
    r'\s*(?:(SELECT|DELETE)\b(?:.*?"(\w+)"\."|.*? FROM "?(\w+))|(INSERT)(?: OR IGNORE)? INTO "?(\w+)|(UPDATE) "?(\w+)'
    r"|(SET) LOCAL (\w+))",
    re.S,
)


def tables_of(captured) -> list[str]:
    """ "SELECT orders_order", "INSERT pickup_pickupnumbercounter"...: the verb and its table (a
    SELECT's first column's, or its FROM's), or "SET synchronous_commit" for a transaction's own
    setting; not BEGIN, COMMIT or the test's savepoints. Names may be quoted (the ORM) or not (an
    app's sql.py)."""
    found = (_SHAPE.match(q["sql"]) for q in captured)
    return [" ".join(part for part in m.groups() if part) for m in found if m]
