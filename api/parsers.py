"""A JSON parser with bounds: body size, nesting depth, and only JSON objects at the top."""

import json

from django.conf import settings
from rest_framework import exceptions, parsers, status

#: Deeper than this is not a request any endpoint accepts (the deepest is 2).
MAX_DEPTH = 20


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _depth(value, limit: int) -> int:
    """Nesting depth, iteratively (no recursion for a hostile document to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        # DRF hands the raw request stream to the parser, past Django's
        # DATA_UPLOAD_MAX_MEMORY_SIZE check (which guards request.body): bound the read here.
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from None
        except RecursionError:
            raise exceptions.ParseError("Malformed JSON: nested too deeply.") from None
        if _depth(data, MAX_DEPTH) > MAX_DEPTH:
            raise exceptions.ParseError("Malformed JSON: nested too deeply.")
        if not isinstance(data, dict):
            raise exceptions.ParseError("The request body must be a JSON object.")
        return data
