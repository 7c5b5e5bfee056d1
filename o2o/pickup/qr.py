import segno

from o2o.pickup.codes import qr_payload
from o2o.pickup.models import PickupVoucher


def voucher_qr_data_uri(voucher: PickupVoucher) -> str:
    """An SVG QR code of the signed payload, as a data: URI an <img> can show."""
    return segno.make(qr_payload(voucher.code), error="m").svg_data_uri(scale=4)
