from audit.services import AuditAction, audit_record, audit_request_context


def _integer_kwargs(resolver_match) -> dict[str, int]:
    # Only numeric ids: other path parts (a calendar feed token) are secrets, not evidence.
    return {
        key: int(value)
        for key, value in resolver_match.kwargs.items()
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    }


class AuditMiddleware:
    """Gives audit events the request's user and address, and records denied accesses.

    403 (PermissionDenied, CSRF failures, refused webhooks) is always recorded. A 404 is recorded
    only on a page that exists and names an object, for a signed-in user: that is what
    ``visible_to`` answers for another team's application. Unknown URLs are not attacks and are
    not recorded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_request_context(request):
            response = self.get_response(request)
            if response.status_code == 403:
                self._record(request, response, AuditAction.ACCESS_DENIED)
            elif response.status_code == 404 and request.user.is_authenticated:
                match = getattr(request, "resolver_match", None)
                if match is not None and _integer_kwargs(match):
                    self._record(request, response, AuditAction.OBJECT_HIDDEN)
        return response

    def _record(self, request, response, action):
        match = getattr(request, "resolver_match", None)
        kwargs = _integer_kwargs(match) if match is not None else {}
        audit_record(
            action=action,
            object_type=f"url:{match.view_name}" if match is not None else "",
            object_id=next(iter(kwargs.values()), None),
            details={
                "method": request.method,
                "status": response.status_code,
                "url_name": match.view_name if match is not None else "",
                "ids": kwargs,
            },
            request=request,
        )
