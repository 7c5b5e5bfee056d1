"""The customer's points and level page: balance, pending, expiring soon, level and what the next one
needs, the levels' benefits and the latest movements. The same selectors as the API."""

from django.http import HttpRequest, HttpResponse

from o2o.loyalty import selectors
from o2o.orders.models import Order
from o2o.web.auth import member_page
from o2o.web.storefront.pages import render_shop

HISTORY_ROWS = 30


@member_page
def my_points(request: HttpRequest) -> HttpResponse:
    pending = list(selectors.my_pending(actor=request.actor)[:HISTORY_ROWS])
    # loyalty keeps plain order ids; the customer knows their orders by number
    numbers = dict(Order.objects.filter(pk__in={e.order_id for e in pending}).values_list("pk", "number"))
    for earning in pending:
        earning.order_number = numbers.get(earning.order_id, "")
    context = {
        "status": selectors.my_loyalty(actor=request.actor),
        "levels": list(selectors.levels()),
        "history": list(selectors.my_history(actor=request.actor)[:HISTORY_ROWS]),
        "pending": pending,
    }
    return render_shop(request, "web/loyalty/my_points.html", context, nav="points")
