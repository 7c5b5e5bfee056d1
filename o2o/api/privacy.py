"""A member's data rights: download my data, delete my account, marketing consent.

Everything here is about the signed-in member; no member id is ever a parameter."""

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool

from o2o.api.auth import actor
from o2o.core.ratelimits import client_address
from o2o.privacy import selectors
from o2o.privacy import services as privacy
from o2o.privacy.exports import export_download

router = Router(tags=["privacy"])
VIA = "api"


class DeletionIn(Schema):
    code: str = Field(min_length=4, max_length=16, description="The code sent to the phone by POST deletion/code")


class BlockerOut(Schema):
    kind: str
    message: str


class DeletionStateOut(Schema):
    can_delete: bool
    reasons: list[BlockerOut]


class DeletionOut(Schema):
    deleted: bool = True
    anonymised_at: datetime
    already: bool = Field(description="True when the account had been deleted before this request")


class ConsentIn(Schema):
    given: StrictBool


class ConsentRecordOut(Schema):
    given: bool
    at: datetime
    source: str


class ConsentOut(Schema):
    marketing_consent: bool
    decided_at: datetime | None
    source: str
    changed: bool | None = None
    history: list[ConsentRecordOut]


@router.get("/export", response={200: dict})
def export_my_data(request: HttpRequest):
    """All the data we keep about me, as a JSON download (rate-limited: 429 with Retry-After)."""
    data = privacy.export_my_data(actor=actor(request), via=VIA)
    return export_download(data, today=timezone.localdate())


@router.get("/deletion", response=DeletionStateOut)
def deletion_state(request: HttpRequest):
    """Whether the account can be deleted now, and what to finish first."""
    found = selectors.deletion_blockers(actor=actor(request))
    return {"can_delete": not found, "reasons": found}


@router.post("/deletion/code", response={202: None})
def send_deletion_code(request: HttpRequest):
    """Step 1: a code to my phone confirms the deletion (409 while something stands in the way)."""
    privacy.send_deletion_code(actor=actor(request), client=client_address(request))
    return Status(202, None)


@router.post("/deletion", response=DeletionOut)
def delete_my_account(request: HttpRequest, payload: DeletionIn):
    """Step 2: the code deletes the account: phone and name are removed, sign-ins end, orders and
    ledgers stay for the books without them. A wallet's bonus and unspent points are forfeited."""
    deletion = privacy.delete_my_account(
        actor=actor(request), code=payload.code, via=VIA, client=client_address(request)
    )
    return {"anonymised_at": deletion.anonymised_at, "already": deletion.already}


@router.get("/consent", response=ConsentOut)
def consent(request: HttpRequest):
    """My marketing consent now, and every decision with its time and source."""
    return selectors.consent_state(actor=actor(request))


@router.post("/consent", response=ConsentOut)
def set_consent(request: HttpRequest, payload: ConsentIn):
    """Give (true) or withdraw (false) marketing consent; a change is recorded, a repeat is not."""
    _member, changed = privacy.set_marketing_consent(actor=actor(request), given=payload.given, source=VIA)
    return {**selectors.consent_state(actor=actor(request)), "changed": changed}
