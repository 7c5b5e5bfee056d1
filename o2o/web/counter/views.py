from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.web.auth import staff_page


@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/counter/home.html", {})
