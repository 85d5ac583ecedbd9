"""The REST API, /api/v1/ (docs/api.md). Views parse, call the pages' own selectors and
actions, and serialise: every rule — who sees which object, which stage moves are allowed, how
a contact is recorded, when a silence test may be announced — is the one the pages use.
"""

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.pagination import IdCursorPagination, ListCursorPagination
from api.problems import PROBLEM_CONTENT_TYPE, Conflict
from api.services import (
    IdempotencyConflict,
    api_contact_create,
    api_write_audit,
    request_fingerprint,
)
from candidates.models import Application, Candidate
from candidates.selectors import candidate_match
from candidates.services import application_move
from followups.services import WouldContaminate
from hiring.forms import AnnounceForm
from hiring.models import Requisition, Stage
from scoring.ranking import (
    ranking_filtered,
    ranking_labels_set,
    with_ranking_fields,
)
from scoring.views import RankingFilterForm
from silence.services import silence_test_announce

PROBLEM = OpenApiResponse(description="Problem details (RFC 9457), application/problem+json")
READ_ERRORS = {401: PROBLEM, 404: PROBLEM, 429: PROBLEM}
WRITE_ERRORS = {
    400: PROBLEM,
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
    413: PROBLEM,
    422: PROBLEM,
    429: PROBLEM,
}


class ApiView(APIView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(response, "accepted_renderer", None)
        if (
            response.content_type == PROBLEM_CONTENT_TYPE
            and renderer is not None
            and renderer.format != "json"
        ):
            response.content_type = None  # the browsable API's HTML stays HTML
        return response


def _requisitions(user):
    return (
        Requisition.objects.visible_to(user)
        .select_related("pipeline")
        .prefetch_related("pipeline__stages")
    )


def _applications(user):
    return with_ranking_fields(Application.objects.visible_to(user), viewer=user)


def _application_for_write(user, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.visible_to(user).select_related("requisition", "stage"), pk=pk
    )


def _with_labels(applications):
    for application in applications:
        ranking_labels_set(application)
    return applications


class RequisitionList(ApiView):
    @extend_schema(responses={200: s.RequisitionSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        """Requisitions you may see, with their pipeline's stages."""
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(_requisitions(request.user), request, view=self)
        return paginator.get_paginated_response(s.RequisitionSerializer(page, many=True).data)


class RequisitionDetail(ApiView):
    @extend_schema(responses={200: s.RequisitionSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        requisition = get_object_or_404(_requisitions(request.user), pk=pk)
        return Response(s.RequisitionSerializer(requisition).data)


RANKING_PARAMETERS = [
    OpenApiParameter("stage", int, description="Stage id"),
    OpenApiParameter("state", str, description="none, waiting, observing, closed, cancelled"),
    OpenApiParameter("outcome", str, description="A silence-test outcome value"),
    OpenApiParameter("min_score", int),
    OpenApiParameter("max_score", int),
    OpenApiParameter("channel", str, description="Only candidates with a contact on it"),
    OpenApiParameter("sort", str, enum=["rank", "score", "scorecards", "name"]),
    OpenApiParameter("cursor", str),
    OpenApiParameter("page_size", int),
]


class Ranking(ApiView):
    @extend_schema(
        parameters=RANKING_PARAMETERS,
        responses={200: s.RankingRowSerializer(many=True), 400: PROBLEM, **READ_ERRORS},
    )
    def get(self, request, pk: int):
        """The requisition's ranking: the page's order, filters and overrides."""
        requisition = get_object_or_404(Requisition.objects.visible_to(request.user), pk=pk)
        # The page's own filter form: the same parsing, but invalid values are an error here.
        params = request.query_params.copy()
        for key in ("cursor", "page_size"):
            params.pop(key, None)
        form = RankingFilterForm(params or None, requisition=requisition)
        if form.is_bound and not form.is_valid():
            raise exceptions.ValidationError(
                {field: [str(e) for e in errors] for field, errors in form.errors.items()}
            )
        rows = ranking_filtered(requisition, form.filters(), viewer=request.user)
        paginator = ListCursorPagination()
        page = paginator.paginate_list(rows, request)
        return paginator.get_paginated_response(s.RankingRowSerializer(page, many=True).data)


class ApplicationList(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("requisition", int, description="Only this requisition's"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: s.ApplicationSerializer(many=True), 400: PROBLEM, **READ_ERRORS},
    )
    def get(self, request):
        """Applications you may see: stage, latest silence test, score and breakdown."""
        applications = _applications(request.user)
        requisition = request.query_params.get("requisition")
        if requisition is not None:
            if not requisition.isdigit() or len(requisition) > 18:
                raise exceptions.ValidationError({"requisition": ["A requisition id."]})
            applications = applications.filter(requisition_id=int(requisition))
        paginator = IdCursorPagination()
        page = _with_labels(paginator.paginate_queryset(applications, request, view=self))
        return paginator.get_paginated_response(s.ApplicationSerializer(page, many=True).data)


class ApplicationDetail(ApiView):
    @extend_schema(responses={200: s.ApplicationSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        application = get_object_or_404(_applications(request.user), pk=pk)
        ranking_labels_set(application)
        return Response(s.ApplicationSerializer(application).data)


def _candidates(user):
    return Candidate.objects.visible_to(user).prefetch_related(
        "emails",
        "phones",
        Prefetch(
            "applications",
            queryset=Application.objects.visible_to(user).only("id", "candidate_id"),
            to_attr="visible_applications",
        ),
    )


class CandidateList(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Find anyone's search: every word in the name (any order, accents "
                "ignored), part of an email address, or a phone number in any format",
            ),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: s.CandidateSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request):
        """Candidates you may see, with the ids of their applications you may see."""
        candidates = _candidates(request.user)
        query = request.query_params.get("q")
        if query is not None:
            try:
                condition = candidate_match(user=request.user, query=query)
            except ValueError as exc:
                raise exceptions.ValidationError({"q": [str(exc)]}) from None
            if condition is None:
                raise exceptions.ValidationError({"q": ["Search for at least 2 characters."]})
            matching = Application.objects.visible_to(request.user).filter(condition)
            candidates = candidates.filter(pk__in=matching.values("candidate_id"))
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(candidates, request, view=self)
        return paginator.get_paginated_response(s.CandidateSerializer(page, many=True).data)


class CandidateDetail(ApiView):
    @extend_schema(responses={200: s.CandidateSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        candidate = get_object_or_404(_candidates(request.user), pk=pk)
        return Response(s.CandidateSerializer(candidate).data)


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ContactCreate(ApiView):
    @extend_schema(
        request=s.ContactCreateSerializer,
        responses={
            201: s.ContactSerializer,
            200: OpenApiResponse(s.ContactSerializer, description="Already created (replay)"),
            **WRITE_ERRORS,
        },
    )
    def post(self, request, pk: int):
        """Log a contact on the application, once per ``external_id``: a retry or a concurrent
        duplicate returns the contact already created (200); the same ``external_id`` with a
        different body is 409."""
        application = _application_for_write(request.user, pk)
        data = _valid(s.ContactCreateSerializer, request)
        fingerprint = request_fingerprint(
            {**data, "occurred_at": data["occurred_at"].isoformat(), "application": pk}
        )
        try:
            with transaction.atomic():
                result = api_contact_create(
                    user=request.user,
                    application=application,
                    external_id=data["external_id"],
                    fingerprint=fingerprint,
                    channel=data["channel"],
                    direction=data["direction"],
                    occurred_at=data["occurred_at"],
                    summary=data["summary"],
                    duration_seconds=data.get("duration_seconds"),
                    tags=data["tags"],
                    confirm_contamination=data["confirm_contamination"],
                    now=timezone.now(),
                )
                if result.created:
                    api_write_audit(
                        request=request,
                        obj=result.contact,
                        details={"application": application.pk, "channel": data["channel"]},
                    )
        except WouldContaminate as exc:
            raise Conflict(exc.messages[0], code="would_contaminate") from None
        except IdempotencyConflict as exc:
            raise Conflict(str(exc), code="idempotency_conflict") from None
        body = {**s.ContactSerializer(result.contact).data, "external_id": data["external_id"]}
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


class ApplicationMove(ApiView):
    @extend_schema(
        request=s.MoveSerializer, responses={200: s.ApplicationSerializer, **WRITE_ERRORS}
    )
    def post(self, request, pk: int):
        """Move the application to another stage: the page's rules (pipeline, reasons, offers
        and hires are the hiring manager's)."""
        application = _application_for_write(request.user, pk)
        data = _valid(s.MoveSerializer, request)
        to_stage = Stage.objects.filter(
            pipeline_id=application.requisition.pipeline_id, pk=data["to_stage"]
        ).first()
        if to_stage is None:
            raise exceptions.ValidationError(
                {"to_stage": ["Not a stage of this requisition's pipeline."]}
            )
        with transaction.atomic():
            transition = application_move(
                application=application,
                to_stage=to_stage,
                actor=request.user,
                reason=data["reason"],
            )
            api_write_audit(
                request=request,
                obj=application,
                details={"to_stage": to_stage.pk, "transition": transition.pk},
            )
        moved = get_object_or_404(_applications(request.user), pk=pk)
        ranking_labels_set(moved)
        return Response(s.ApplicationSerializer(moved).data)


class SilenceAnnounce(ApiView):
    @extend_schema(
        request=s.AnnouncementSerializer,
        responses={201: s.SilenceTestSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk: int):
        """Record that the candidate was told "you'll hear from us by …": starts (or, while it
        is still waiting, replaces) the silence test."""
        application = _application_for_write(request.user, pk)
        data = _valid(s.AnnouncementSerializer, request)
        # Who may have told the candidate: the page's own list (the requisition's team).
        team = (
            AnnounceForm(requisition=application.requisition, user=request.user)
            .fields["announced_by"]
            .queryset
        )
        announced_by = team.filter(pk=data.get("announced_by", request.user.pk)).first()
        if announced_by is None:
            raise exceptions.ValidationError(
                {"announced_by": ["Not the hiring manager or a recruiter of this requisition."]}
            )
        with transaction.atomic():
            test = silence_test_announce(
                application=application,
                announced_by=announced_by,
                recorded_by=request.user,
                announced_at=data["announced_at"],
                now=timezone.now(),
            )
            api_write_audit(
                request=request,
                obj=test,
                details={"application": application.pk, "announced_by": announced_by.pk},
            )
        return Response(s.SilenceTestSerializer(test).data, status=status.HTTP_201_CREATED)


class NotFoundView(ApiView):
    """Any other URL under /api/: a problem, not the HTML 404 page."""

    schema = None  # not an endpoint

    def initial(self, request, *args, **kwargs):
        raise exceptions.NotFound("No such API endpoint.")
