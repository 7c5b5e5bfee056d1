"""One exception for every rule a request can break; the API turns it into problem+json."""

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # generic
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    CONFLICT = "conflict"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INVALID_CURSOR = "invalid_cursor"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVER_ERROR = "server_error"
    # catalog / stores
    UNKNOWN_SKU = "unknown_sku"
    NOT_SOLD_ON_CHANNEL = "not_sold_on_channel"
    NO_PRICE = "no_price"
    LOCATION_UNAVAILABLE = "location_unavailable"
    # inventory
    INSUFFICIENT_STOCK = "insufficient_stock"
    RESERVATION_NOT_ACTIVE = "reservation_not_active"
    # orders
    ILLEGAL_TRANSITION = "illegal_transition"
    PAYMENT_DEADLINE_PASSED = "payment_deadline_passed"
    RETURN_EXCEEDS_SOLD = "return_exceeds_sold"
    # payments
    BAD_SIGNATURE = "bad_signature"
    AMOUNT_MISMATCH = "amount_mismatch"
    BAD_CALLBACK = "bad_callback"
    CALLBACK_NOT_APPLIED = "callback_not_applied"  # a database error: the gateway must deliver it again
    # pickup vouchers
    VOUCHER_NOT_REDEEMABLE = "voucher_not_redeemable"
    UNDO_WINDOW_PASSED = "undo_window_passed"
    VOUCHER_NOT_YET_VALID = "voucher_not_yet_valid"  # before the chosen pickup time and not ready yet
    PICKUP_SLOT_UNAVAILABLE = "pickup_slot_unavailable"  # not one of the store's offered pickup times (422)
    PICKUP_SLOT_FULL = "pickup_slot_full"  # the pickup time's capacity is all booked
    # members
    INVALID_PHONE = "invalid_phone"
    INVALID_CODE = "invalid_code"
    # money and loyalty
    INSUFFICIENT_BALANCE = "insufficient_balance"  # wallet does not cover the amount
    WALLET_FROZEN = "wallet_frozen"
    PAYMENT_CODE_INVALID = "payment_code_invalid"  # member pay code unknown, expired or used
    INSUFFICIENT_POINTS = "insufficient_points"
    POINTS_REFUND_EXCEEDS_SPEND = "points_refund_exceeds_spend"  # gives back more than that spend took
    TENDERS_EXCEED_PAYABLE = "tenders_exceed_payable"
    DAY_ALREADY_CLOSED = "day_already_closed"
    MEMBER_ANONYMISED = "member_anonymised"
    BELOW_INSTALLMENT_MINIMUM = "below_installment_minimum"  # order too small for a store credit plan
    REPAYMENT_EXCEEDS_OWED = "repayment_exceeds_owed"
    ACCOUNT_HAS_OPEN_BUSINESS = "account_has_open_business"  # open orders, wallet principal, plans
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # rewards: referral, red packets, check-ins (docs/rewards.md)
    SELF_REFERRAL = "self_referral"
    NOT_A_NEW_MEMBER = "not_a_new_member"  # an existing member cannot become someone's referred friend
    REWARD_NOT_OPEN = "reward_not_open"  # outside the offer's window (or no programme running)
    REWARD_HELD_OUT = "reward_held_out"  # the member is in the campaign's control group
    REWARD_ALREADY_CLAIMED = "reward_already_claimed"
    RED_PACKET_EMPTY = "red_packet_empty"
    # coupons (docs/coupons.md)
    COUPON_QUOTA_EXHAUSTED = "coupon_quota_exhausted"  # the template's quota is all issued
    COUPON_LIMIT_REACHED = "coupon_limit_reached"  # the member holds the template's per-member limit
    COUPON_UNAVAILABLE = "coupon_unavailable"  # chosen coupon not usable on this order (used, expired...)
    # promotions (docs/promotions.md)
    PROMOTION_LIMIT_REACHED = "promotion_limit_reached"  # the member bought the most units a timed price allows
    # flash sales (docs/flashsale.md)
    FLASH_SALE_SOLD_OUT = "flash_sale_sold_out"
    FLASH_SALE_NOT_OPEN = "flash_sale_not_open"  # before its opening second, or closed
    FLASH_SALE_LIMIT_REACHED = "flash_sale_limit_reached"  # the member holds the per-member limit

    # group buys and chain sign-ups (docs/groupbuy.md)
    GROUP_FULL = "group_full"  # every seat of the group is taken
    GROUP_CLOSED = "group_closed"  # the group completed, failed or expired; the offer ended
    ALREADY_IN_GROUP = "already_in_group"  # the member holds a seat of this group
    CHAIN_CLOSED = "chain_closed"  # the sign-up list is past its cut-off
    # staff support between stores (docs/staffing.md)
    STAFF_ALREADY_LENT = "staff_already_lent"  # the employee is lent elsewhere in an overlapping window
    HEADCOUNT_FILLED = "headcount_filled"  # every seat of the support request is taken
    # follow-up visits (docs/aftercare.md)
    FOLLOW_UP_CLAIMED = "follow_up_claimed"  # another agent has claimed the visit
    SURVEY_ANSWERED = "survey_answered"  # the survey link was answered already: the first answer stands
    SURVEY_LINK_EXPIRED = "survey_link_expired"  # past its expiry, or the visit was closed meanwhile


STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.INVALID_CURSOR: 400,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.INSUFFICIENT_STOCK: 409,
    ErrorCode.RESERVATION_NOT_ACTIVE: 409,
    ErrorCode.ILLEGAL_TRANSITION: 409,
    ErrorCode.PAYMENT_DEADLINE_PASSED: 409,
    ErrorCode.VOUCHER_NOT_REDEEMABLE: 409,
    ErrorCode.UNDO_WINDOW_PASSED: 409,
    ErrorCode.VOUCHER_NOT_YET_VALID: 409,
    ErrorCode.PICKUP_SLOT_FULL: 409,
    ErrorCode.BAD_SIGNATURE: 400,
    ErrorCode.BAD_CALLBACK: 400,
    ErrorCode.CALLBACK_NOT_APPLIED: 503,
    ErrorCode.INVALID_CODE: 400,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.INSUFFICIENT_BALANCE: 409,
    ErrorCode.WALLET_FROZEN: 409,
    ErrorCode.PAYMENT_CODE_INVALID: 409,
    ErrorCode.INSUFFICIENT_POINTS: 409,
    ErrorCode.POINTS_REFUND_EXCEEDS_SPEND: 409,
    ErrorCode.TENDERS_EXCEED_PAYABLE: 422,
    ErrorCode.DAY_ALREADY_CLOSED: 409,
    ErrorCode.MEMBER_ANONYMISED: 410,
    ErrorCode.REPAYMENT_EXCEEDS_OWED: 409,
    ErrorCode.ACCOUNT_HAS_OPEN_BUSINESS: 409,
    ErrorCode.SELF_REFERRAL: 422,
    ErrorCode.NOT_A_NEW_MEMBER: 409,
    ErrorCode.REWARD_NOT_OPEN: 409,
    ErrorCode.REWARD_HELD_OUT: 403,
    ErrorCode.REWARD_ALREADY_CLAIMED: 409,
    ErrorCode.RED_PACKET_EMPTY: 409,
    ErrorCode.COUPON_QUOTA_EXHAUSTED: 409,
    ErrorCode.COUPON_LIMIT_REACHED: 409,
    ErrorCode.COUPON_UNAVAILABLE: 409,
    ErrorCode.PROMOTION_LIMIT_REACHED: 409,
    ErrorCode.FLASH_SALE_SOLD_OUT: 409,
    ErrorCode.FLASH_SALE_NOT_OPEN: 409,
    ErrorCode.FLASH_SALE_LIMIT_REACHED: 409,
    ErrorCode.GROUP_FULL: 409,
    ErrorCode.GROUP_CLOSED: 409,
    ErrorCode.ALREADY_IN_GROUP: 409,
    ErrorCode.CHAIN_CLOSED: 409,
    ErrorCode.STAFF_ALREADY_LENT: 409,
    ErrorCode.HEADCOUNT_FILLED: 409,
    ErrorCode.FOLLOW_UP_CLAIMED: 409,
    ErrorCode.SURVEY_ANSWERED: 409,
    ErrorCode.SURVEY_LINK_EXPIRED: 410,
}


class DomainError(Exception):
    """A broken business rule, with a stable code clients can branch on."""

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return STATUS_BY_CODE.get(self.code, 422)

    def __repr__(self) -> str:
        return f"DomainError({self.code!s}, {self.message!r})"


def not_found(what: str = "resource") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found")
