"""Audit checks on the cash book, for `o2o audit`: every daily close against the business facts of
its window (payments, counter refunds, top-ups and principal paid back, store credit repayments
and repaid money handed back, recounted now), so money booked into a day after it was closed — or
a snapshot that was changed — shows up; and the windows of one store's closes never overlap.
Findings, not exceptions."""


from o2o.cashbook.models import DailyClose
from o2o.cashbook.selectors import Takings, takings_lines
from o2o.core.findings import Finding

LIMIT = 1000  # findings per check



def _subject(close: DailyClose) -> str:
    return f"close {close.pk} (location {close.location_id}, {close.business_date})"


def closes_against_takings() -> list[Finding]:
    findings: list[Finding] = []
    for close in DailyClose.objects.select_related("location").order_by("pk").iterator():
        recounted = Takings(
            location=close.location,
            business_date=close.business_date,
            start=close.takings_from,
            end=close.takings_to,
            opening_float=close.opening_float,
            lines=takings_lines(close.location_id, close.takings_from, close.takings_to),
        )
        if recounted.snapshot()["lines"] != close.takings.get("lines"):
            findings.append(Finding("cashbook_takings", _subject(close), "its takings changed after the close"))
        if recounted.expected_cash != close.expected_cash:
            findings.append(
                Finding(
                    "cashbook_expected",
                    _subject(close),
                    f"expected {close.expected_cash}, the facts of its window give {recounted.expected_cash}",
                )
            )
        if len(findings) >= LIMIT:
            break
    return findings[:LIMIT]


def windows_do_not_overlap() -> list[Finding]:
    findings: list[Finding] = []
    previous: DailyClose | None = None
    for close in DailyClose.objects.order_by("location_id", "business_date").iterator():
        same_store = previous is not None and previous.location_id == close.location_id
        if same_store and close.takings_from < previous.takings_to:
            findings.append(
                Finding("cashbook_windows", _subject(close), f"its takings start before close {previous.pk} ended")
            )
        previous = close
    return findings[:LIMIT]


def run() -> list[Finding]:
    return [*closes_against_takings(), *windows_do_not_overlap()]
