"""Cursor pagination: stable under inserts, no page counts (which would cost a COUNT(*))."""

import base64
from urllib import parse

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class IdCursorPagination(CursorPagination):
    """Query sets, in id order."""

    ordering = "id"
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # DRF answers a bad cursor with 404; it is the request that is wrong.
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from None

    def get_page_size(self, request):
        if self.page_size_query_param in request.query_params:
            try:
                size = int(request.query_params[self.page_size_query_param])
            except ValueError:
                size = 0
            if not 1 <= size <= self.max_page_size:
                raise exceptions.ValidationError(
                    {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
                )
            return size
        return self.page_size

    def get_paginated_response(self, data):
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


class ListCursorPagination(IdCursorPagination):
    """An ordered list computed per request (the ranking): the cursor is an opaque position in
    it. The list is recomputed on every request, so a cursor is as stable as the ranking."""

    def paginate_list(self, items: list, request) -> list:
        self.request = request
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        start = self._position(request)
        self.start, self.size, self.total = start, size, len(items)
        return items[start : start + size]

    def _position(self, request) -> int:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return 0
        try:
            query = parse.parse_qs(base64.b64decode(encoded.encode("ascii")).decode("ascii"))
            position = int(query["p"][0])
        except (TypeError, ValueError, KeyError, UnicodeError):
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from None
        if position < 0:
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]})
        return position

    def _link(self, position: int) -> str:
        if position <= 0:
            return remove_query_param(self.base_url, self.cursor_query_param)
        encoded = base64.b64encode(parse.urlencode({"p": position}).encode("ascii")).decode()
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_next_link(self):
        following = self.start + self.size
        return self._link(following) if following < self.total else None

    def get_previous_link(self):
        return self._link(max(self.start - self.size, 0)) if self.start > 0 else None
