"""HQ: store credit dues past their date and not paid, oldest first."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.core.errors import DomainError
from o2o.installments import selectors
from o2o.web.auth import staff_page

PAGE_SIZE = 200


@staff_page()
def overdue(request: HttpRequest) -> HttpResponse:
    try:
        dues = list(selectors.overdue_dues(actor=request.actor)[:PAGE_SIZE])
    except DomainError as exc:
        raise PermissionDenied from exc
    return render(request, "web/installments/overdue.html", {"dues": dues, "limit": PAGE_SIZE})
