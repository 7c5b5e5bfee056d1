from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from o2o.access.actors import actor_for_user
from o2o.web.auth import home_for


def home(request: HttpRequest) -> HttpResponse:
    """Staff land on their work page; everyone else on the storefront."""
    if request.user.is_authenticated and actor_for_user(request.user).is_staff:
        return redirect(home_for(actor_for_user(request.user)))
    return redirect("web:shop-home")
