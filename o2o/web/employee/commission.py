"""My commission (/me/commission/, docs/commission.md): my frozen and settled balance, and my
statement for a month, every line with the order, touchpoint, split, plan, rate and tier behind it,
as a table or CSV. The figures come from o2o.commission.selectors, as the API's do."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.commission import selectors
from o2o.commission.exports import statement_csv
from o2o.core.errors import DomainError, ErrorCode
from o2o.web.auth import staff_page

T = "web/employee/commission/"


def period_of(request: HttpRequest):
    """The month asked for (?period=YYYY-MM), this month when missing or malformed."""
    try:
        return selectors.parse_period(request.GET.get("period", ""))
    except DomainError:
        return selectors.parse_period(None)


def csv_response(statement: selectors.Statement) -> HttpResponse:
    response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
    name = f"commission-{statement.employee.code}-{statement.period:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _mine(request: HttpRequest):
    try:
        mine = selectors.my_commission(actor=request.actor)
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        raise
    return mine, selectors.statement(employee=mine.employee, period=period_of(request))


@staff_page()
def my_commission(request: HttpRequest) -> HttpResponse:
    mine, statement = _mine(request)
    context = {"section": "commission", "mine": mine, "statement": statement,
               "csv_url": f"?period={statement.period:%Y-%m}&format=csv"}  # fmt: skip
    if request.GET.get("format") == "csv":
        return csv_response(statement)
    return render(request, f"{T}page.html", context)
