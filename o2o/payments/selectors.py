from o2o.payments.models import Payment, PaymentMethod


def succeeded_payment(*, order_id: int) -> Payment | None:
    """The first succeeded tender of the order (an order may have several: `succeeded_tenders`)."""
    return Payment.objects.filter(order_id=order_id, state=Payment.State.SUCCEEDED).order_by("pk").first()


def succeeded_tenders(*, order_id: int) -> list[Payment]:
    """The tenders that paid (or are paying) the order, oldest first."""
    return list(Payment.objects.filter(order_id=order_id, state=Payment.State.SUCCEEDED).order_by("pk"))


def pending_online_payment(*, order_id: int) -> Payment | None:
    """The online payment under way for the order (at most one, by constraint), read only."""
    return Payment.objects.filter(
        order_id=order_id, state=Payment.State.PENDING, method=PaymentMethod.ONLINE_QR
    ).first()


def tenders_of_order(*, order_id: int) -> list[Payment]:
    """Every tender tried on the order, oldest first, each with its refunds (two queries)."""
    return list(Payment.objects.filter(order_id=order_id).prefetch_related("refunds").order_by("pk"))
