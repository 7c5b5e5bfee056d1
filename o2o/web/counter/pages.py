"""What every counter page shares: who may open it, which store it serves, whole page or HTMX partial."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.access.permissions import Operation, may
from o2o.web.auth import View, counter_location_id, staff_page
from o2o.web.htmx import is_htmx


def counter_page(view: View) -> View:
    """A page of the store counter, everything scoped to the home store: for whoever the permission
    table lets sell there (store managers and clerks)."""

    @staff_page()
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.location_id = counter_location_id(request.actor)
        if not may(request.actor, Operation.PLACE_COUNTER_ORDER, location_id=request.location_id):
            raise PermissionDenied
        request.store = request.actor.employee.home_location
        request.may_return_goods = may(request.actor, Operation.RETURN_GOODS, location_id=request.location_id)
        return view(request, *args, **kwargs)

    return wrapper


def respond(request: HttpRequest, template: str, context: dict, *, partial: str, status: int = 200) -> HttpResponse:
    """HTMX gets the partial, a plain request the whole page: the same markup either way.

    Errors answer 422 in both cases; the counter pages tell htmx to swap 422 responses (see base.html).
    """
    name = f"{template}#{partial}" if is_htmx(request) else template
    return render(request, name, context, status=status)
