"""The download itself: the export as a JSON file (the API and the "my data" page send the same)."""

import json
from datetime import date
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse


def export_download(data: dict[str, Any], *, today: date) -> HttpResponse:
    """A JSON attachment: Decimals as strings to the fen, times in ISO 8601, never cached."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="o2o-my-data-{today.isoformat()}.json"'
    response["Cache-Control"] = "no-store"
    return response
