"""Product photos under /media/products/: public, named by their content's hash, cached for a year.

Only this folder is served: other uploads (delivery proofs) are private and go through their own
pages' permission checks. In production the web server in front may serve the same folder instead."""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

YEAR = 365 * 24 * 3600


@require_GET
def product_photo(request: HttpRequest, name: str) -> FileResponse:
    folder = (Path(settings.MEDIA_ROOT) / "products").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or path.suffix != ".webp" or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="image/webp")
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
