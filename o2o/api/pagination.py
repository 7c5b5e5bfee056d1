"""The one CursorPagination every list endpoint uses: a cursor that this API did not hand out
(tampered, truncated, not base64, a position of the wrong type or out of range) is a
400 problem+json with code `invalid_cursor`, never a 500."""

import binascii
from base64 import b64decode
from typing import Any

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import CursorPagination as NinjaCursorPagination

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID

_INTEGER_FIELDS = (models.IntegerField, models.AutoField)


def _invalid() -> DomainError:
    return DomainError(ErrorCode.INVALID_CURSOR, "the cursor is not valid; start again from the first page")


class CursorPagination(NinjaCursorPagination):
    def paginate_queryset(self, queryset: QuerySet, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        if pagination.cursor:
            self._check_cursor(pagination.cursor, queryset)
        return super().paginate_queryset(queryset, pagination, request, **params)

    def _check_cursor(self, encoded: str, queryset: QuerySet) -> None:
        try:
            b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            cursor = self.Cursor.from_encoded_param(encoded)
        except (ValueError, binascii.Error, pydantic.ValidationError, NinjaValidationError) as exc:
            raise _invalid() from exc
        if cursor.p is None:
            return
        field = queryset.model._meta.get_field(self._order_attribute)
        if isinstance(field, models.GeneratedField):  # its to_python takes anything: ask its column's type
            field = field.output_field
        try:
            position = field.to_python(cursor.p)
        except DjangoValidationError as exc:
            raise _invalid() from exc
        if isinstance(field, _INTEGER_FIELDS) and not -MAX_ID <= position <= MAX_ID:
            raise _invalid()
