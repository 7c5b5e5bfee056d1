"""My loans (/me/support/, docs/staffing.md): where and when my store lends me to another store,
and the hours that store confirmed. The rows come from o2o.staffing.selectors, as the API's do."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from o2o.core.errors import DomainError
from o2o.staffing import selectors
from o2o.web.auth import staff_page


@staff_page()
def my_loans(request: HttpRequest) -> HttpResponse:
    try:
        loans = list(selectors.my_loans(actor=request.actor))
    except DomainError as error:
        raise PermissionDenied from error
    now = timezone.now()
    context = {
        "upcoming": [loan for loan in loans if loan.ends_at > now and loan.state in ("offered", "accepted")],
        "past": [loan for loan in loans if not (loan.ends_at > now and loan.state in ("offered", "accepted"))],
    }
    return render(request, "web/employee/support/loans.html", context)
