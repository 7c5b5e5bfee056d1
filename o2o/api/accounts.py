from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from o2o.access import services as access
from o2o.core.ratelimits import client_address
from o2o.members import services as members

router = Router(tags=["sign-in"])


class StaffSignIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128)


class OtpRequest(Schema):
    phone: str = Field(min_length=3, max_length=32)


class MemberSignIn(Schema):
    phone: str = Field(min_length=3, max_length=32)
    code: str = Field(min_length=4, max_length=16)


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


@router.post("/staff-token", response=TokenOut, auth=None)
def staff_token(request: HttpRequest, payload: StaffSignIn):
    """Too many wrong passwords for a username or from one address: 429 with Retry-After."""
    client = client_address(request)
    return {"token": access.sign_in_staff(username=payload.username, password=payload.password, client=client)}


@router.post("/otp", response={202: None}, auth=None)
def send_otp(request: HttpRequest, payload: OtpRequest):
    """A one-time code to the phone, member or not (the answer does not tell); budgets per phone,
    per address and per minute for the site: 429 with Retry-After."""
    members.send_sign_in_code(phone=payload.phone, client=client_address(request))
    return Status(202, None)


@router.post("/member-token", response=TokenOut, auth=None)
def member_token(request: HttpRequest, payload: MemberSignIn):
    """A code dies after 5 wrong tries; a phone that missed too often is locked for a while (429)."""
    client = client_address(request)
    return {"token": access.sign_in_member(phone=payload.phone, code=payload.code, client=client)}
