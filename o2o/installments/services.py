"""Store credit plans: set up at checkout, repaid at the counter, reduced by returns.

Every use case locks the order first (`o2o.orders.locks.lock_order`), then the plan, then its
dues: the one lock order. Dues change by conditional UPDATEs guarded by CHECKs (paid within the
amount, a paid due paid in full); repayments are rows of their own.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.messaging import queue_message
from o2o.core.money import to_money
from o2o.installments import selectors
from o2o.installments.models import (
    OPEN_PLAN_STATES,
    PLAN_LENGTHS,
    DueState,
    InstallmentDue,
    InstallmentPlan,
    InstallmentRepayment,
    PlanState,
    RepaymentMethod,
)
from o2o.installments.terms import fee_share, min_amount, terms_for
from o2o.members.models import Member
from o2o.orders.locks import lock_order
from o2o.orders.models import Order, OrderState
from o2o.payments.models import PaymentMethod
from o2o.payments.services import record_tender
from o2o.wallet import services as wallet

logger = logging.getLogger("o2o.installments")

ZERO = Decimal("0.00")
OPEN_DUE_STATES = (DueState.DUE, DueState.OVERDUE)


# --- setting a plan up ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRequest:
    periods: int
    down_payment: Decimal = ZERO
    # At the counter, how the customer pays the down payment now; online the member pays it
    # afterwards through the gateway (the order waits for it).
    down_payment_method: str | None = None
    # At the counter, the payment code on the member's phone: their consent to owe the store
    # (a clerk must not open credit in a member's name on an order that merely names them).
    member_code: str | None = None


def _check_request(actor: Actor, request: PlanRequest) -> None:
    if request.periods not in PLAN_LENGTHS:
        raise DomainError(ErrorCode.INVALID, "a plan has 3, 6 or 12 periods", periods=request.periods)
    if request.down_payment < 0 or request.down_payment != to_money(request.down_payment):
        raise DomainError(ErrorCode.INVALID, "the down payment is a positive amount in fen")
    method = request.down_payment_method
    if actor.member is not None and method is not None:
        raise DomainError(ErrorCode.INVALID, "online, the down payment is paid through the gateway")
    if actor.member is None and request.down_payment > 0 and method not in RepaymentMethod.values:
        raise DomainError(ErrorCode.INVALID, "say how the down payment is paid: cash, card or store_qr")
    if actor.member is None and not actor.system and not request.member_code:
        raise DomainError(ErrorCode.INVALID, "at the counter, scan the member's payment code: they agree to the plan")
    if actor.member is not None and request.member_code is not None:
        raise DomainError(ErrorCode.INVALID, "a member sets up their own plan without a payment code")


def set_up_plan(
    *, actor: Actor, order: Order, request: PlanRequest, idempotency_key: str | None = None
) -> InstallmentPlan:
    """Finance what the order still owes (after any down payment) as a store credit plan.

    The plan is recorded as the order's `store_credit` tender in the same transaction, under the
    order's lock; when the tenders (down payment included) cover the total, the order is paid.
    A retry with the same idempotency key returns the first plan."""
    authorize(actor, Operation.SET_UP_INSTALLMENT_PLAN, location_id=order.selling_location_id)
    _check_request(actor, request)
    if request.member_code is not None:
        wallet.refuse_when_guessing_codes(actor)  # a scanner that guesses codes is stopped (429)
    try:
        return _set_up_once(actor=actor, order=order, request=request, idempotency_key=idempotency_key)
    except DomainError as error:
        if request.member_code is not None and error.code == ErrorCode.PAYMENT_CODE_INVALID:
            wallet.count_failed_code(actor)  # after the rollback: the count must survive it
        raise


def _set_up_once(*, actor: Actor, order: Order, request: PlanRequest, idempotency_key: str | None) -> InstallmentPlan:
    result = run_once(
        scope=actor.idempotency_scope,
        operation=f"installment_plan:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(
            order=order.pk, periods=request.periods, down=request.down_payment, method=request.down_payment_method
        ),
        perform=lambda: {"plan_id": _set_up(actor=actor, order_id=order.pk, request=request).pk},
    )
    return InstallmentPlan.objects.get(pk=result["plan_id"])


def _qualifies(order: Order) -> None:
    if order.state != OrderState.PENDING_PAYMENT:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be paid", state=order.state
        )
    if order.payment_deadline and order.payment_deadline < timezone.now():
        raise DomainError(ErrorCode.PAYMENT_DEADLINE_PASSED, "the payment deadline has passed")
    if order.member_id is None:
        raise DomainError(ErrorCode.INVALID, "a store credit plan is for a member: name the customer on the order")
    if order.total < min_amount():
        raise DomainError(
            ErrorCode.BELOW_INSTALLMENT_MINIMUM,
            f"orders from {min_amount()} may be paid in installments",
            minimum=str(min_amount()),
        )
    if selectors.plan_of_order(order_id=order.pk) is not None:
        raise DomainError(ErrorCode.CONFLICT, "this order has a store credit plan already")


def _set_up(*, actor: Actor, order_id: int, request: PlanRequest) -> InstallmentPlan:
    order = lock_order(order_id)
    _qualifies(order)
    if request.member_code is not None and wallet.redeem_payment_code(code=request.member_code) != order.member_id:
        raise DomainError(ErrorCode.PAYMENT_CODE_INVALID, "this payment code belongs to another member")
    financed = order.total - selectors.tendered(order_id=order.pk) - request.down_payment
    if financed <= 0:
        raise DomainError(ErrorCode.INVALID, "the down payment leaves nothing to finance")
    terms = terms_for(financed=financed, periods=request.periods, start=timezone.localdate())
    if request.down_payment > 0 and request.down_payment_method:
        record_tender(
            order=order,
            method=request.down_payment_method,
            amount=request.down_payment,
            reference=f"installment-plan-down-payment:{order.pk}",
            actor_id=actor.user_id,
        )
    plan = InstallmentPlan.objects.create(
        order=order,
        member_id=order.member_id,
        periods=terms.periods,
        down_payment=request.down_payment,
        financed_amount=terms.financed,
        fee_percent=terms.fee_percent,
        fee=terms.fee,
        location_id=order.selling_location_id,
        created_by=actor.user,
    )
    InstallmentDue.objects.bulk_create(
        InstallmentDue(plan=plan, seq=seq, due_date=due_date, amount=amount)
        for seq, (due_date, amount) in enumerate(terms.dues, start=1)
    )
    record_tender(
        order=order,
        method=PaymentMethod.STORE_CREDIT,
        amount=terms.financed,
        reference=f"installment-plan:{plan.pk}",
        actor_id=actor.user_id,
    )
    return plan


# --- repayments -------------------------------------------------------------------------------


def repay(
    *, actor: Actor, plan: InstallmentPlan, amount: Decimal, method: str, idempotency_key: str | None = None
) -> InstallmentRepayment:
    """Money taken at the counter, paying the oldest open dues first (overdue ones included).
    A retry with the same idempotency key returns the first repayment and takes nothing again."""
    if amount <= 0 or amount != to_money(amount):
        raise DomainError(ErrorCode.INVALID, "a repayment is a positive amount in fen")
    return _take(actor, plan, amount, method, InstallmentRepayment.Kind.DUE, idempotency_key)


def settle(
    *, actor: Actor, plan: InstallmentPlan, method: str, idempotency_key: str | None = None
) -> InstallmentRepayment:
    """Early settlement: everything still owed on the plan, in one repayment; the plan is settled."""
    return _take(actor, plan, None, method, InstallmentRepayment.Kind.SETTLEMENT, idempotency_key)


def _take(actor, plan, amount, method, kind, idempotency_key) -> InstallmentRepayment:
    if method not in RepaymentMethod.values:
        raise DomainError(ErrorCode.INVALID, "a repayment is cash, card or store_qr", method=method)
    authorize(actor, Operation.TAKE_INSTALLMENT_REPAYMENT, location_id=plan.location_id)
    result = run_once(
        scope=actor.idempotency_scope,
        operation=f"installment_repayment:{plan.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(plan=plan.pk, amount=amount, method=method, kind=kind),
        perform=lambda: {"repayment_id": _repay(actor, plan.pk, plan.order_id, amount, method, kind).pk},
    )
    return InstallmentRepayment.objects.get(pk=result["repayment_id"])


def _lock_plan(order_id: int, plan_id: int) -> InstallmentPlan:
    lock_order(order_id)  # the order first, always
    return InstallmentPlan.objects.select_for_update().get(pk=plan_id)


def _repay(actor: Actor, plan_id: int, order_id: int, amount, method: str, kind: str) -> InstallmentRepayment:
    plan = _lock_plan(order_id, plan_id)
    if plan.state not in OPEN_PLAN_STATES:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"the plan is {plan.state}", state=plan.state)
    if Order.objects.filter(pk=order_id, state=OrderState.PENDING_PAYMENT).exists():
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the order is not paid yet: take the down payment first")
    owed = selectors.outstanding(plan_id=plan.pk)
    amount = owed if amount is None else amount
    if amount > owed:
        raise DomainError(ErrorCode.REPAYMENT_EXCEEDS_OWED, f"{owed} is owed on this plan", owed=str(owed))
    _allocate(plan, amount)
    repayment = InstallmentRepayment.objects.create(
        plan=plan,
        kind=kind,
        amount=amount,
        method=method,
        location_id=actor.employee.home_location_id if actor.employee else plan.location_id,
        received_by=actor.user,
    )
    _refresh_state(plan)
    return repayment


def _allocate(plan: InstallmentPlan, amount: Decimal) -> None:
    """Pay the oldest open dues first; a due paid in full is paid (an overdue one catches up)."""
    now = timezone.now()
    left = amount
    for due in InstallmentDue.objects.filter(plan=plan, state__in=OPEN_DUE_STATES).order_by("seq"):
        if left <= 0:
            break
        part = min(left, due.outstanding)
        paid = due.paid_amount + part
        state = DueState.PAID if paid == due.amount else due.state
        # Conditional on what we read under the plan's lock; the CHECKs are the last guard.
        if not InstallmentDue.objects.filter(pk=due.pk, paid_amount=due.paid_amount).update(
            paid_amount=paid, state=state, paid_at=now
        ):
            raise DomainError(ErrorCode.CONFLICT, "the plan changed meanwhile; try again")
        left -= part


def _refresh_state(plan: InstallmentPlan, *, now: datetime | None = None) -> str:
    """Settled when nothing is open (cancelled if nothing was ever paid), overdue while a due is
    overdue, active otherwise. Called under the plan's lock."""
    dues = InstallmentDue.objects.filter(plan=plan)
    if not dues.filter(state__in=OPEN_DUE_STATES).exists():
        state = PlanState.SETTLED if dues.filter(paid_amount__gt=0).exists() else PlanState.CANCELLED
    elif dues.filter(state=DueState.OVERDUE).exists():
        state = PlanState.OVERDUE
    else:
        state = PlanState.ACTIVE
    if state != plan.state:
        settled_at = (now or timezone.now()) if state == PlanState.SETTLED else None
        InstallmentPlan.objects.filter(pk=plan.pk, state=plan.state).update(state=state, settled_at=settled_at)
        plan.state, plan.settled_at = state, settled_at
    return state


# --- returns ----------------------------------------------------------------------------------


def apply_refunds(*, order_id: int) -> Decimal:
    """Take off the plan's dues what the payments app refunded of the store credit tender since
    the last time (and the fee that goes with it); returns what was taken off. Runs in the
    refund's transaction (payments publishes TENDER_REFUNDED under the order's lock), or in its
    own from the periodic catch-up. Idempotent: the plan records how much of the tender's refunds
    it has applied."""
    order = lock_order(order_id)
    plan = InstallmentPlan.objects.select_for_update().filter(order_id=order_id).first()
    if plan is None:
        return ZERO
    if order.state == OrderState.CANCELLED:
        refunded = plan.financed_amount  # never paid: the plan goes with the order
    else:
        refunded = min(selectors.store_credit_refunded(order_id=order_id), plan.financed_amount)
    if refunded <= plan.credit_refunded:
        return ZERO
    reduction = refunded + fee_share(plan, refunded) - plan.credit_refunded - fee_share(plan, plan.credit_refunded)
    _reduce(plan, reduction)
    if not InstallmentPlan.objects.filter(pk=plan.pk, credit_refunded=plan.credit_refunded).update(
        credit_refunded=refunded
    ):
        raise DomainError(ErrorCode.CONFLICT, "the plan changed meanwhile")
    _refresh_state(plan)
    return reduction


def _reduce(plan: InstallmentPlan, reduction: Decimal) -> None:
    """A return reduces the last dues first: first what is still owed on them, then, when the
    customer has repaid more than they now owe, the repaid money, handed back at the counter of
    the store that sold the order (a negative repayment row)."""
    left = reduction
    for due in InstallmentDue.objects.filter(plan=plan, state__in=OPEN_DUE_STATES).order_by("-seq"):
        part = min(left, due.outstanding)
        if part > 0:
            _take_off(due, amount=part, paid=ZERO)
            left -= part
    handed_back = ZERO
    for due in InstallmentDue.objects.filter(plan=plan, paid_amount__gt=0).order_by("-seq"):
        part = min(left, due.paid_amount)
        if part > 0:
            _take_off(due, amount=part, paid=part)
            left -= part
            handed_back += part
    if handed_back:
        InstallmentRepayment.objects.create(
            plan=plan,
            kind=InstallmentRepayment.Kind.REFUND,
            amount=-handed_back,
            method=RepaymentMethod.CASH,
            location_id=plan.location_id,
        )
        logger.info("plan %s: %s repaid money to hand back after a return", plan.pk, handed_back)


def _take_off(due: InstallmentDue, *, amount: Decimal, paid: Decimal) -> None:
    new_amount, new_paid = due.amount - amount, due.paid_amount - paid
    state = due.state if new_amount > new_paid else DueState.PAID if new_paid > 0 else DueState.WAIVED
    paid_at = (due.paid_at or timezone.now()) if state == DueState.PAID else due.paid_at
    if not InstallmentDue.objects.filter(pk=due.pk, amount=due.amount, paid_amount=due.paid_amount).update(
        amount=new_amount, paid_amount=new_paid, state=state, paid_at=paid_at
    ):
        raise DomainError(ErrorCode.CONFLICT, "the plan changed meanwhile")


# --- the periodic job: reminders, overdue, catch-up -------------------------------------------


def remind_due(*, today: date | None = None, now: datetime | None = None) -> int:
    """Queue one reminder per due that falls within O2O_INSTALLMENT_REMINDER_DAYS; the due's sent
    marker is claimed by a conditional UPDATE in the same transaction as the outbox row."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    horizon = date.fromordinal(today.toordinal() + settings.O2O_INSTALLMENT_REMINDER_DAYS)
    due = InstallmentDue.objects.filter(
        state=DueState.DUE,
        reminded_at__isnull=True,
        due_date__gte=today,
        due_date__lte=horizon,
        plan__state__in=OPEN_PLAN_STATES,
    ).values_list("pk", "plan__member_id", "plan__order__number", "amount", "paid_amount", "due_date")
    sent = 0
    for pk, member_id, number, amount, paid, due_date in due:
        with transaction.atomic(durable=True):
            if not InstallmentDue.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another run claimed it
            phone = Member.objects.filter(pk=member_id, anonymised_at__isnull=True).values_list("phone", flat=True)
            if phone := phone.first():
                text = _("%(amount)s yuan of your installment plan for order %(number)s is due on %(date)s.") % {
                    "amount": amount - paid,
                    "number": number,
                    "date": due_date.isoformat(),
                }
                queue_message(channel="sms", recipient=phone, body=text)
                sent += 1
    return sent


def mark_overdue(*, today: date | None = None) -> int:
    """Dues past their date and not paid are overdue, and so is their plan. Returns the dues marked."""
    today = today or timezone.localdate()
    late = InstallmentDue.objects.filter(state=DueState.DUE, due_date__lt=today)
    marked = 0
    for plan_id, order_id in late.values_list("plan_id", "plan__order_id").distinct():
        with transaction.atomic(durable=True):
            plan = _lock_plan(order_id, plan_id)
            marked += late.filter(plan_id=plan_id).update(state=DueState.OVERDUE)
            _refresh_state(plan)
    return marked


def catch_up_refunds() -> int:
    """Plans whose reduction lags behind the refunds of their tender (a sync that did not run)."""
    lagging = 0
    for order_id in selectors.plans_behind_refunds():
        with transaction.atomic(durable=True):
            lagging += apply_refunds(order_id=order_id) > 0
    return lagging


def run_daily(*, today: date | None = None) -> dict[str, int]:
    return {
        "caught_up": catch_up_refunds(),
        "overdue": mark_overdue(today=today),
        "reminded": remind_due(today=today),
    }
