"""Errors as problem details (RFC 9457): ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, and ``errors`` (field name → messages) for invalid input.

The ``type`` is a URN naming the kind of problem (``urn:persist:problem:<code>``), stable for
clients to branch on; docs/api.md lists them.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import PayloadTooLarge

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Refused by a rule",
    429: "Too many requests",
}


class RuleRefused(exceptions.APIException):
    """A domain rule refused the action (a Django ``ValidationError`` from a service)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "rule_refused"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": ["message", …]}`` (``a.b`` for nested fields,
    ``a.0`` for list items, ``non_field_errors`` for the rest)."""
    errors: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                errors.setdefault(path or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, child in enumerate(value):
                    walk(child, f"{path}.{index}" if path else str(index))
        else:
            errors.setdefault(path or "non_field_errors", []).append(str(value))

    walk(detail, "")
    return errors


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    return exc.default_code


def problem_response(
    *, status_code: int, code: str, detail: str, errors=None, headers=None
) -> Response:
    body = {
        "type": f"urn:persist:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: every error the API raises, as a problem."""
    if isinstance(exc, DjangoValidationError):
        # A service's rule (pipeline, silence test, don't-chase …): a message for the user.
        exc = RuleRefused(" ".join(exc.messages), code=getattr(exc, "code", None) or "refused")
    elif isinstance(exc, RequestDataTooBig):
        # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE) tripped before our parser read the body.
        exc = PayloadTooLarge(
            f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # a real bug: Django's 500 handling, logged as such
    if isinstance(exc, exceptions.ValidationError):
        detail, errors = "The request has invalid fields.", _field_errors(exc.detail)
    else:
        detail, errors = str(exc.detail), None
    headers = {
        key: value
        for key, value in response.items()
        if key in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    return problem_response(
        status_code=response.status_code,
        code=_code(exc),
        detail=detail,
        errors=errors,
        headers=headers,
    )
