"""Where the customer is: the browser's position, a chosen district, or the middle of the chain's stores."""

from dataclasses import dataclass

from django import forms
from django.db.models import Avg
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from o2o.core.ids import MAX_ID, is_id
from o2o.stores.models import Location
from o2o.stores.selectors import active_locations

SESSION_KEY = "o2o_position"
# People's Square, Shanghai: where the map starts when the chain has no store yet.
FALLBACK_CENTRE = (31.2304, 121.4737)


@dataclass(frozen=True)
class District:
    id: int
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    source: str  # "device", "district" or "centre"
    district: District | None = None

    @property
    def label(self) -> str:
        if self.source == "device":
            return str(_("your location"))
        if self.district is not None:
            return self.district.name
        return str(_("the city centre"))

    def query(self) -> str:
        """The query string that brings the same position back (kept in links and forms)."""
        if self.source == "device":
            return f"lat={self.latitude:.6f}&lng={self.longitude:.6f}"
        return f"district={self.district.id}" if self.district else ""


class PositionForm(forms.Form):
    lat = forms.FloatField(min_value=-90, max_value=90, required=False)
    lng = forms.FloatField(min_value=-180, max_value=180, required=False)
    district = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)


def _stores():
    return active_locations().filter(kind=Location.Kind.STORE)


def districts() -> list[District]:
    """The regions that have stores, each placed at the centroid of its stores."""
    rows = (
        _stores()
        .values("region_id", "region__name")
        .annotate(lat=Avg("latitude"), lng=Avg("longitude"))
        .order_by("region__code")
    )
    return [District(r["region_id"], r["region__name"], r["lat"], r["lng"]) for r in rows]


def city_centre() -> tuple[float, float]:
    centre = _stores().aggregate(lat=Avg("latitude"), lng=Avg("longitude"))
    return (centre["lat"], centre["lng"]) if centre["lat"] is not None else FALLBACK_CENTRE


def position_for(request: HttpRequest) -> Position:
    """The position the request asks for; without one, the last one this browser chose (kept in the session)."""
    asked = {k: request.GET[k] for k in ("lat", "lng", "district") if request.GET.get(k)}
    if asked:
        position = position_from(request.GET)
        if position.source != "centre":
            request.session[SESSION_KEY] = asked
        return position
    remembered = QueryDict(mutable=True)
    remembered.update(request.session.get(SESSION_KEY, {}))
    return position_from(remembered)


def position_from(params: QueryDict) -> Position:
    """The browser's lat/lng if given and sane, else the chosen district, else the city centre."""
    form = PositionForm(params)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("lat") is not None and data.get("lng") is not None:
        return Position(data["lat"], data["lng"], "device")
    if data.get("district"):
        chosen = next((d for d in districts() if d.id == data["district"]), None)
        if chosen is not None:
            return Position(chosen.latitude, chosen.longitude, "district", chosen)
    return Position(*city_centre(), "centre")


def is_open_now(location: Location) -> bool:
    return location.is_open_at(timezone.localtime().time())


STORE_SESSION_KEY = "shop_store"


def shop_store(location_id: object) -> Location | None:
    """An open store a shopper may shop at (not a warehouse), or None."""
    if not isinstance(location_id, int) or not is_id(location_id):
        return None
    return active_locations().filter(pk=location_id, kind=Location.Kind.STORE).first()


def current_store(request: HttpRequest) -> Location | None:
    """The store the shopper chose to shop at (kept in the session), if it is still open."""
    return shop_store(request.session.get(STORE_SESSION_KEY))


def choose_store(request: HttpRequest, location: Location) -> None:
    request.session[STORE_SESSION_KEY] = location.pk
