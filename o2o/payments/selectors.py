from o2o.payments.models import Payment


def succeeded_payment(*, order_id: int) -> Payment | None:
    """The payment that paid the order (there is at most one, by constraint)."""
    return Payment.objects.filter(order_id=order_id, state=Payment.State.SUCCEEDED).first()
