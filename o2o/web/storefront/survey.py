"""The follow-up survey a customer opens from the link in their message (/shop/survey/<token>/,
docs/aftercare.md): a score of 1 to 5 and a comment, answered once. No sign-in: the link's random
token is the key, and o2o.aftercare.services decides whether it can still be answered."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from o2o.aftercare import services
from o2o.aftercare.services import MAX_COMMENT
from o2o.core.errors import DomainError, ErrorCode
from o2o.web.storefront.pages import render_shop

T = "web/storefront/survey/"


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us?"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _closed(request: HttpRequest, error: DomainError) -> HttpResponse:
    """Why the link cannot be answered, with the status the API gives for it."""
    if error.code == ErrorCode.SURVEY_ANSWERED:
        message, status = _("You have answered this survey already. Thank you!"), 409
    elif error.code == ErrorCode.SURVEY_LINK_EXPIRED:
        message, status = _("This survey link has expired. We may give you a call instead."), 410
    else:
        message, status = _("We could not find this survey."), 404
    return render_shop(request, f"{T}closed.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        visit = services.survey_for_token(token=token)
    except DomainError as error:
        return _closed(request, error)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.answer_survey(token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except DomainError as error:
            return _closed(request, error)
        return render_shop(request, f"{T}thanks.html")
    status = 422 if form.is_bound else 200
    return render_shop(request, f"{T}survey.html", {"form": form, "visit": visit}, status=status)
