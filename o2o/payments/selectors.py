from o2o.payments.models import Payment, PaymentMethod


def succeeded_payment(*, order_id: int) -> Payment | None:
    """The payment that paid the order (there is at most one, by constraint)."""
    return Payment.objects.filter(order_id=order_id, state=Payment.State.SUCCEEDED).first()


def pending_online_payment(*, order_id: int) -> Payment | None:
    """The online payment under way for the order (at most one, by constraint), read only."""
    return Payment.objects.filter(
        order_id=order_id, state=Payment.State.PENDING, method=PaymentMethod.ONLINE_QR
    ).first()
