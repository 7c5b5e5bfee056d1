from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.access import members as member_desk
from o2o.access import services as access
from o2o.api.accounts import TokenOut
from o2o.api.auth import actor
from o2o.api.orders import OrderOut
from o2o.api.pagination import CursorPagination
from o2o.core.ratelimits import client_address
from o2o.members import services as member_codes
from o2o.orders.selectors import member_history
from o2o.stores.selectors import get_location_by_code

router = Router(tags=["members"])


class MemberOut(Schema):
    id: int
    phone: str
    name: str
    marketing_consent: bool
    registration_channel: str
    acquiring_location_id: int | None
    acquiring_employee_id: int | None
    created_at: datetime


class JoinCodeIn(Schema):
    phone: str = Field(min_length=3, max_length=32)
    store_code: str = Field(min_length=1, max_length=20, description="The store whose QR code was scanned")


class JoinIn(Schema):
    phone: str = Field(min_length=3, max_length=32)
    code: str = Field(min_length=4, max_length=16, description="The one-time code sent to the phone")
    name: str = Field("", max_length=100)
    marketing_consent: bool = Field(False, description="Recorded, with time and store, only when true")
    store_code: str = Field(min_length=1, max_length=20, description="The store whose QR code was scanned")
    ref: str | None = Field(None, max_length=16, description="The employee code in the QR link")


class RegisterIn(Schema):
    phone: str = Field(min_length=3, max_length=32)
    name: str = Field("", max_length=100)
    marketing_consent: bool = False


class JoinOut(Schema):
    member: MemberOut
    created: bool


@router.post("/join/code", response={202: None}, auth=None)
def send_join_code(request: HttpRequest, payload: JoinCodeIn):
    """Step 1 of joining from a store's QR: a one-time code to the phone. The answer is the same
    whether or not the phone is a member."""
    get_location_by_code(code=payload.store_code)
    member_codes.send_sign_in_code(phone=payload.phone, client=client_address(request))
    return Status(202, None)


@router.post("/join", response=TokenOut, auth=None)
def join_from_store_qr(request: HttpRequest, payload: JoinIn):
    """Step 2: the code proves the phone; then, and only then, a new member is created and the
    store and the employee credited (a member already keeps the first credit). The answer is a
    member token, the same for a new and an existing member: nothing about the member is told."""
    token = access.join_and_sign_in(
        phone=payload.phone,
        code=payload.code,
        store_code=payload.store_code,
        employee_code=payload.ref,
        name=payload.name,
        marketing_consent=payload.marketing_consent,
        client=client_address(request),
    )
    return {"token": token}


@router.post("", response={200: JoinOut, 201: JoinOut})
def register_at_counter(request: HttpRequest, payload: RegisterIn):
    """A clerk signs a customer up at the counter; credited to the clerk and their store."""
    member, created = member_desk.register_member_at_counter(
        actor=actor(request), phone=payload.phone, name=payload.name, marketing_consent=payload.marketing_consent
    )
    return Status((201 if created else 200), {"member": member, "created": created})


@router.get("/me", response=MemberOut)
def me(request: HttpRequest):
    return actor(request).require_member()


@router.get("/me/orders", response=list[OrderOut])
@paginate(CursorPagination, ordering=("-id",))
def my_orders(request: HttpRequest):
    """Online and in-store orders in one history."""
    return member_history(member_id=actor(request).require_member().pk)


@router.get("/lookup", response=MemberOut)
def lookup(request: HttpRequest, phone: str):
    """Staff look a member up by phone at the counter."""
    return member_desk.look_up_member(actor=actor(request), phone=phone)
