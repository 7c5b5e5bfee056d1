"""Which store a manager page shows: the manager's own, or for HQ the one chosen with ?location=<id>."""

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from o2o.access.actors import Actor
from o2o.core.errors import DomainError
from o2o.stores.models import Location
from o2o.stores.selectors import active_locations, get_location
from o2o.web.auth import counter_location_id


@dataclass(frozen=True)
class StoreScope:
    location: Location
    # Chosen with ?location= (chain-wide staff): every link and form of the page carries it on.
    explicit: bool
    choices: list[Location]

    @property
    def query(self) -> str:
        """`location=<id>` to carry on, or nothing."""
        return f"location={self.location.pk}" if self.explicit else ""

    @property
    def suffix(self) -> str:
        """The query string to append to a bare page URL: `?location=<id>` or nothing."""
        return f"?{self.query}" if self.explicit else ""


def _visible(actor: Actor) -> list[Location]:
    locations = active_locations().order_by("kind", "code")
    return list(locations if actor.location_ids is None else locations.filter(pk__in=actor.location_ids))


def store_scope(request: HttpRequest) -> StoreScope:
    """The same 404 for a location that is missing and one the actor may not see."""
    actor: Actor = request.actor
    raw = request.GET.get("location")
    if raw is None and not actor.is_chain_wide:
        location_id = counter_location_id(actor)
    elif raw is None:
        choices = _visible(actor)
        if not choices:
            raise Http404
        return StoreScope(location=choices[0], explicit=True, choices=choices)
    else:
        location_id = int(raw) if raw.isdigit() else 0
        if not actor.can_see_location(location_id):
            raise Http404
    try:
        location = get_location(location_id=location_id)
    except DomainError as error:
        raise Http404 from error
    choices = _visible(actor) if actor.is_chain_wide else [location]
    return StoreScope(location=location, explicit=raw is not None or actor.is_chain_wide, choices=choices)
