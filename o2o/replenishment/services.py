"""Replenishment: propose what a store should get, approve (into requested transfers) or reject.

Every decision is an UPDATE conditional on the proposal still being open, so of two managers
approving the same proposal one wins and the other gets a 409 with nothing written (its transfer
rolls back with it). docs/replenishment.md."""

import math
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from o2o.access.actors import SYSTEM, Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.inventory.models import Transfer, TransferLine
from o2o.inventory.services import add_requested_transfer
from o2o.replenishment.models import Proposal
from o2o.replenishment.selectors import below_alert, demand_forecast, proposal_for, source_offers
from o2o.stores.models import Location
from o2o.stores.selectors import active_locations, get_location

PROPOSAL_REFERENCE = "replenishment"


def _incoming(location_id: int, sku_ids: set[int]) -> dict[int, int]:
    """Units already on their way to the location (requested or in transit): not proposed again."""
    rows = (
        TransferLine.objects.filter(
            transfer__destination_id=location_id,
            transfer__state__in=[Transfer.State.REQUESTED, Transfer.State.IN_TRANSIT],
            sku_id__in=sku_ids,
        )
        .values("sku_id")
        .annotate(units=Sum("quantity"))
        .values_list("sku_id", "units")
    )
    return dict(rows)


def _keep_open_proposal(*, location_id: int, sku_id: int, fields: dict) -> Proposal:
    """Update the store's open proposal for the SKU, or open one; the partial unique constraint
    keeps one open per (store, SKU) when two runs race (the loser updates the winner's)."""
    open_one = Proposal.objects.filter(location_id=location_id, sku_id=sku_id, state=Proposal.State.OPEN)
    if not open_one.update(**fields):
        try:
            with transaction.atomic():
                return Proposal.objects.create(location_id=location_id, sku_id=sku_id, **fields)
        except IntegrityError:
            open_one.update(**fields)
    return open_one.get()


def _propose(*, location: Location, now: datetime) -> list[Proposal]:
    proposals = _needed(location=location, now=now)
    # an open proposal nobody decided whose SKU needs nothing any more (sold less, stock came in)
    # goes: a manager must not approve yesterday's shortage
    Proposal.objects.filter(location_id=location.pk, state=Proposal.State.OPEN).exclude(
        pk__in=[p.pk for p in proposals]
    ).delete()
    return proposals


def _needed(*, location: Location, now: datetime) -> list[Proposal]:
    levels = list(below_alert(location_id=location.pk))
    if not levels:
        return []
    sku_ids = {level.sku_id for level in levels}
    expected = demand_forecast()(
        location_id=location.pk, sku_ids=sku_ids, now=now, days_ahead=settings.O2O_REPLENISHMENT_DAYS_AHEAD
    )
    incoming = _incoming(location.pk, sku_ids)
    offers = source_offers(destination=location, sku_ids=sku_ids)
    proposals = []
    for level in levels:
        sales = Decimal(expected.get(level.sku_id, 0))
        target = max(level.target_level, level.alert_level)
        need = math.ceil(Decimal(target - level.available - incoming.get(level.sku_id, 0)) + sales)
        if need <= 0:
            continue
        quantity, source_id = need, None
        for offer in offers[level.sku_id]:  # the first that covers it all, else the one with most
            if offer.units >= need:
                source_id = offer.location_id
                break
        if source_id is None and offers[level.sku_id]:
            best = max(offers[level.sku_id], key=lambda o: o.units)
            quantity, source_id = best.units, best.location_id
        fields = {
            "source_id": source_id,
            "quantity": quantity,
            "available": level.available,
            "alert_level": level.alert_level,
            "target_level": level.target_level,
            "expected_sales": sales.quantize(Decimal("0.01")),
            "proposed_at": now,
        }
        proposals.append(_keep_open_proposal(location_id=location.pk, sku_id=level.sku_id, fields=fields))
    return proposals


def propose_replenishment(*, actor: Actor, location_id: int, now: datetime | None = None) -> list[Proposal]:
    """For each SKU whose available stock is under its alert level: fill up to the target (or the
    alert level when no target is set), plus the sales expected until the next run, less what is
    already on its way; rounded up. Re-proposing updates the open proposal."""
    authorize(actor, Operation.PROPOSE_REPLENISHMENT, location_id=location_id)
    location = get_location(location_id=location_id)
    if location.kind != Location.Kind.STORE:
        raise DomainError(ErrorCode.INVALID, "replenishment proposals are for stores", location_id=location_id)
    with transaction.atomic():
        return _propose(location=location, now=now or timezone.now())


def propose_for_all_stores(now: datetime | None = None) -> int:
    """The nightly job: every active store's proposals, each store in its own transaction."""
    now = now or timezone.now()
    total = 0
    for location in active_locations().filter(kind=Location.Kind.STORE).order_by("pk"):
        total += len(propose_replenishment(actor=SYSTEM, location_id=location.pk, now=now))
    return total


def _decide(actor: Actor, key: str | None, perform, **request) -> dict:
    """With an Idempotency-Key: once per key, in its own transaction. Without one: in the
    caller's transaction (the nightly job, the demo), all or none all the same."""
    if key is None:
        with transaction.atomic():
            return perform()
    scope = "system" if actor.system else f"user:{actor.user_id}"
    return run_once(
        scope=scope,
        operation=str(Operation.APPROVE_REPLENISHMENT),
        key=key,
        fingerprint=fingerprint(**request),
        perform=perform,
    )


def approve_proposals(
    *,
    actor: Actor,
    location_id: int,
    quantities: dict[int, int | None],
    sources: dict[int, int] | None = None,
    idempotency_key: str | None = None,
) -> list[int]:
    """Approve open proposals of a store (quantities: proposal id -> units, None to keep the
    proposed number; sources: proposal id -> another source), all or none. The approved lines
    become requested transfers, one per source; returns their ids. A proposal decided already
    (approved twice, or rejected) is a 409 and nothing is written."""
    authorize(actor, Operation.APPROVE_REPLENISHMENT, location_id=location_id)
    sources = sources or {}
    if not quantities:
        raise DomainError(ErrorCode.INVALID, "approve at least one proposal")

    def perform() -> dict:
        proposals = Proposal.objects.in_bulk(list(quantities))
        by_source: dict[int, dict[int, int]] = defaultdict(dict)
        chosen: dict[int, tuple[int, int]] = {}
        for proposal_id in sorted(quantities):
            proposal = proposals.get(proposal_id)
            if proposal is None or proposal.location_id != location_id:
                raise not_found("proposal")
            if proposal.state != Proposal.State.OPEN:
                raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "proposal already decided", proposal_id=proposal_id)
            quantity = quantities[proposal_id]
            quantity = proposal.quantity if quantity is None else quantity
            if quantity <= 0:
                raise DomainError(ErrorCode.INVALID, "an approved quantity must be positive", proposal_id=proposal_id)
            source_id = sources.get(proposal_id, proposal.source_id)
            if source_id is None or source_id == location_id:
                raise DomainError(ErrorCode.INVALID, "choose where the stock comes from", proposal_id=proposal_id)
            get_location(location_id=source_id)
            by_source[source_id][proposal.sku_id] = quantity
            chosen[proposal_id] = (source_id, quantity)
        transfers = {
            source_id: add_requested_transfer(
                source_id=source_id,
                destination_id=location_id,
                lines=lines,
                actor_id=actor.user_id,
                reference=PROPOSAL_REFERENCE,
            )
            for source_id, lines in sorted(by_source.items())
        }
        now = timezone.now()
        for proposal_id, (source_id, quantity) in sorted(chosen.items()):
            decided = Proposal.objects.filter(pk=proposal_id, state=Proposal.State.OPEN).update(
                state=Proposal.State.APPROVED,
                source_id=source_id,
                approved_quantity=quantity,
                transfer=transfers[source_id],
                decided_by_id=actor.user_id,
                decided_at=now,
            )
            if not decided:  # another approval or rejection won: ours (and its transfers) rolls back
                raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "proposal already decided", proposal_id=proposal_id)
        return {"transfer_ids": [t.pk for _, t in sorted(transfers.items())]}

    result = _decide(actor, idempotency_key, perform, location_id=location_id,
                     quantities=sorted(quantities.items()), sources=sorted(sources.items()))  # fmt: skip
    return result["transfer_ids"]


def reject_proposal(*, actor: Actor, proposal_id: int, reason: str) -> Proposal:
    """Reject an open proposal with a reason; a decided one is a 409."""
    proposal = proposal_for(actor=actor, proposal_id=proposal_id)
    authorize(actor, Operation.APPROVE_REPLENISHMENT, location_id=proposal.location_id)
    reason = reason.strip()
    if not reason:
        raise DomainError(ErrorCode.INVALID, "say why the proposal is rejected", field="reason")
    rejected = Proposal.objects.filter(pk=proposal_id, state=Proposal.State.OPEN).update(
        state=Proposal.State.REJECTED,
        reject_reason=reason[:255],
        decided_by_id=actor.user_id,
        decided_at=timezone.now(),
    )
    if not rejected:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "proposal already decided", proposal_id=proposal_id)
    return Proposal.objects.select_related("sku", "source").get(pk=proposal_id)
