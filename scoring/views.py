import copy
import csv
import dataclasses
import functools
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from candidates.models import Application
from candidates.selectors import application_for_page
from followups.models import Channel, PersistenceScore, ScoringWeights
from followups.selectors import requisitions_with_version
from hiring.models import Requisition, SilenceOutcome, SilenceTestState, Stage
from hiring.page_cache import Rendered, Substitutions, page_response
from hiring.sql import compiled_rows
from scoring import policy, scores
from scoring import ranking as ranking_rules
from scoring.ranking import (
    RANKING_PAGE_SIZE,
    RankingFilters,
    ranking_filtered,
    requisition_ranking,
)
from scoring.rules import Weights

#: Checks of a draft weights version that apps above scoring provide (evidence's backtest against
#: post-hire outcomes), registered from their ``AppConfig.ready()``; the first non-None result
#: is shown under the preview.
_draft_checks: list[Callable[..., object]] = []


ROWS_TEMPLATE = "followups/_ranking_rows.html"
FORM_TEMPLATE = "followups/_ranking_filter_fields.html"


def weights_draft_check_register(check: Callable[..., object]) -> None:
    if check not in _draft_checks:
        _draft_checks.append(check)


def _requisition(request, pk: int) -> Requisition:
    return get_object_or_404(
        Requisition.objects.visible_to(request.user).select_related("hiring_manager"), pk=pk
    )


class RankingFilterForm(forms.Form):
    stage = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any test state"),
            ("none", "Not yet at the test"),
            *SilenceTestState.choices,
        ],
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *SilenceOutcome.choices]
    )
    min_score = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score from")
    max_score = forms.IntegerField(required=False, min_value=0, max_value=100, label="to")
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("rank", "Rank"),
            ("score", "Score"),
            ("scorecards", "Scorecards"),
            ("name", "Name"),
        ],
    )

    def __init__(self, *args, requisition, stages=None, **kwargs):
        """``stages``: the pipeline's ``(id, name)`` pairs in order, if the caller read them."""
        super().__init__(*args, **kwargs)
        if stages is None:
            stages = (
                Stage.objects.filter(pipeline_id=requisition.pipeline_id)
                .order_by("order")
                .values_list("pk", "name")
            )
        self.fields["stage"].choices = _stage_choices(stages)

    def clean(self):
        cleaned = super().clean()
        error = _score_range_error(cleaned.get("min_score"), cleaned.get("max_score"))
        if error:
            # Said, not silently answered with an empty ranking.
            self.add_error("max_score", error)
        return cleaned

    def filters(self) -> RankingFilters:
        return _filters_from(self.cleaned_data if self.is_valid() else {})


def _stage_choices(stages) -> list:
    return [("", "Any stage"), *stages]


def _score_range_error(low: int | None, high: int | None) -> str | None:
    if low is not None and high is not None and low > high:
        return f"“to” ({high}) is below “Score from” ({low}): no score is in between."
    return None


def _filters_from(cleaned: dict) -> RankingFilters:
    return RankingFilters(
        stage=cleaned.get("stage"),
        state=cleaned.get("state") or "",
        outcome=cleaned.get("outcome") or "",
        min_score=cleaned.get("min_score"),
        max_score=cleaned.get("max_score"),
        channel=cleaned.get("channel") or "",
        sort=cleaned.get("sort") or "rank",
    )


@functools.lru_cache(maxsize=256)
def _stage_field(stages: tuple[tuple[int, str], ...]) -> forms.Field:
    """The form's stage field with a pipeline's choices, copied once per pipeline and names
    (the key), never changed after: validating with it changes nothing in it."""
    field = copy.deepcopy(RankingFilterForm.base_fields["stage"])
    field.choices = _stage_choices(stages)
    return field


def ranking_filters_parse(query: QueryDict, stages) -> RankingFilters | None:
    """``RankingFilterForm(query or None, stages=stages).filters()`` when that form accepts
    ``query``, None when it refuses it — the form's own fields and rules, run as the form runs
    them (each field's widget reads the value, the field cleans it, then the cross-field rule),
    without building a form. A form deep-copies every field and its choices when built: on a
    cached ranking that was most of the page's own work (``bench.profile_view``). The caller
    builds the form only to render it, or to show why it refused ``query``."""
    fields = {**RankingFilterForm.base_fields, "stage": _stage_field(tuple(stages))}
    cleaned = {}
    try:
        for name, field in fields.items():
            cleaned[name] = field.clean(field.widget.value_from_datadict(query, {}, name))
    except ValidationError:
        return None
    if _score_range_error(cleaned["min_score"], cleaned["max_score"]):
        return None
    return _filters_from(cleaned)


def _ranking_head(user, pk: int):
    """The requisition if ``visible_to`` the user: what the page needs before it knows whether
    its cached copy will do — the ids that decide who may override, the page version, the
    pipeline's stages in order (the filter's choices) and the number of applications (bounds
    the page number)."""
    stages = Stage.objects.filter(pipeline_id=OuterRef("pipeline_id")).order_by("order")
    count = (
        Application.objects.filter(requisition_id=OuterRef("pk"))
        .order_by()
        .values("requisition_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        requisitions_with_version(Requisition.objects.visible_to(user))
        .filter(pk=pk)
        .annotate(
            stage_ids=ArraySubquery(stages.values("pk")),
            stage_names=ArraySubquery(stages.values("name")),
            application_count=Coalesce(Subquery(count), 0),
        )
        .values_list(
            "pk",
            "pipeline_id",
            "hiring_manager_id",
            "page_version",
            "stage_ids",
            "stage_names",
            "application_count",
        )
    )


@dataclasses.dataclass
class _RankingHead:
    #: The requisition's ids only (``may_override_rank`` reads them); the whole row is loaded
    #: when the page is rendered.
    requisition: Requisition
    page_version: int | None
    stages: list[tuple[int, str]]
    application_count: int


def _ranking_head_for(request, pk: int) -> _RankingHead:
    """``_ranking_head``: one query, checked on every request before any cached page, its SQL
    compiled once per process (``hiring.sql``); a plain row (building a model instance through
    ``raw()`` cost more than the query)."""
    found = compiled_rows("ranking", _ranking_head, user=request.user, arg=pk)
    if not found:
        raise Http404("No such requisition.")
    pk, pipeline_id, manager_id, version, stage_ids, stage_names, count = found[0]
    return _RankingHead(
        requisition=Requisition(pk=pk, pipeline_id=pipeline_id, hiring_manager_id=manager_id),
        page_version=version,
        stages=list(zip(stage_ids, stage_names, strict=True)),
        application_count=count,
    )


def _canonical_query(filters: RankingFilters) -> QueryDict:
    """The filters as the one query string that means them (defaults left out, fixed order):
    a page cached under it serves every spelling of the same filters, and parameters the page
    does not know add no entries."""
    query = QueryDict(mutable=True)
    for name, value in (
        ("stage", filters.stage),
        ("state", filters.state),
        ("outcome", filters.outcome),
        ("min_score", filters.min_score),
        ("max_score", filters.max_score),
        ("channel", filters.channel),
        ("sort", "" if filters.sort == "rank" else filters.sort),
    ):
        if value is not None and value != "":
            query[name] = str(value)
    return query


def _page_number(raw: str | None, application_count: int) -> int:
    """The page ``Paginator.get_page`` would show for ``raw``, bounded by the unfiltered page
    count (a filtered ranking has no more pages): not an integer → 1, out of range → the
    last; so the cached pages of a ranking are at most its page count."""
    pages = max(1, -(-application_count // RANKING_PAGE_SIZE))
    try:
        number = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return number if 1 <= number <= pages else pages


def ranking(request, pk: int):
    head = _ranking_head_for(request, pk)
    requisition, stages = head.requisition, head.stages
    filters = ranking_filters_parse(request.GET, stages)
    refused = None
    if filters is None:
        # Shown with its errors and what was typed; the ranking as an unfiltered one.
        refused = RankingFilterForm(request.GET, requisition=requisition, stages=stages)
        filters = refused.filters()
    can_override = policy.may_override_rank(request.user, requisition)
    # A refused filter, and the channel filter (reads contacts, which the page version does
    # not follow): rendered afresh every time.
    cacheable = head.page_version is not None and refused is None and not filters.channel
    canonical = _canonical_query(filters)
    canonical_query = canonical.urlencode()
    page_number = _page_number(request.GET.get("page"), head.application_count)
    query = canonical_query if cacheable else _without_page(request.GET)

    def render(substitutions: Substitutions) -> Rendered:
        # Visible: checked by the head query of this very request.
        requisition = Requisition.objects.get(pk=head.requisition.pk)
        # A cached page is rendered from the canonical filters, so it depends on nothing else.
        shown = refused
        if shown is None:
            shown = RankingFilterForm(
                (canonical if cacheable else request.GET) or None,
                requisition=requisition,
                stages=stages,
            )
            shown.is_valid()
        rows = ranking_filtered(requisition, filters, viewer=request.user)
        page = Paginator(rows, RANKING_PAGE_SIZE).get_page(page_number)
        rows_html = render_to_string(
            ROWS_TEMPLATE,
            {
                "requisition": requisition,
                "rows": page.object_list,
                "page": page,
                "filters": filters,
                "query": query,
                "can_override": can_override,
                "csrf_token": substitutions.csrf_token,
            },
        )
        html = render_to_string(
            "followups/ranking.html",
            {
                "requisition": requisition,
                "form_html": render_to_string(FORM_TEMPLATE, {"form": shown}),
                "filters": filters,
                "rows_html": mark_safe(rows_html),
                # The download carries the page's filters and sort (not its page number).
                "csv_query": query,
                # The bulk toolbar's stages (the filter's choices: no further query).
                "bulk_stages": stages,
                "csrf_token": substitutions.csrf_token,
                "next_path": substitutions.path,
            },
            request=request,
        )
        return Rendered(html)

    return page_response(
        request,
        name="ranking",
        # Everything the page shows besides the viewer: the requisition's rows through its
        # version; whether the viewer may override; blind scorecard averages are the viewer's
        # own, and the page is per viewer anyway.
        parts=(
            requisition.pk,
            head.page_version,
            canonical_query,
            page_number,
            can_override,
        ),
        render=render,
        sources=_RANKING_SOURCES,
        cacheable=cacheable,
    )


#: The code that shapes the ranking page besides its templates (a deploy changes the key).
_RANKING_SOURCES = (__file__, ranking_rules.__file__)


CSV_COLUMNS = (
    "rank",
    "candidate",
    "email",
    "stage",
    "test_state",
    "outcome",
    "score",
    "comparable",
    "breakdown",
    "scorecard_average",
    "override",
)


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def ranking_csv(request, pk: int):
    """Every row the ranking page shows with the same filters and sort (all pages)."""
    requisition = _requisition(request, pk)
    form = RankingFilterForm(request.GET or None, requisition=requisition)
    if form.is_bound and not form.is_valid():
        # A download cannot show the page's "filters not applied" notice: every row under a
        # hand-edited link would pass for the filtered list. Say what is wrong instead.
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else 'filters'}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        return HttpResponseBadRequest(
            f"The ranking was not exported: its filters are not valid ({problems}).",
            content_type="text/plain; charset=utf-8",
        )
    return ranking_csv_response(requisition, viewer=request.user, filters=form.filters())


def ranking_csv_response(
    requisition: Requisition,
    *,
    viewer,
    filters: RankingFilters | None = None,
    application_ids=None,
) -> HttpResponse:
    """The ranking as ``viewer`` sees it (blind scorecard averages), as CSV: as the page shows
    it with ``filters`` (its filters and sort), or all of it in rank order, or only
    ``application_ids`` (a bulk export from the board or the ranking). The caller has checked
    that the user may see the requisition."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ranking-{requisition.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    only = None if application_ids is None else set(application_ids)
    rows = (
        requisition_ranking(requisition, viewer=viewer)
        if filters is None
        else ranking_filtered(requisition, filters, viewer=viewer)
    )
    for row in rows:
        app = row.application
        if only is not None and app.pk not in only:
            continue
        writer.writerow(
            [
                row.rank,
                _csv_safe(app.candidate.full_name),
                _csv_safe(app.primary_email or ""),
                app.stage.name,
                app.test_state or "",
                app.outcome_shown or "",
                app.score if app.has_score else "",
                ("yes" if app.score_comparable else "no") if app.has_score else "",
                _csv_safe("; ".join(line["text"] for line in app.score_lines or [])),
                "" if app.scorecard_average is None else f"{app.scorecard_average:.2f}",
                _csv_safe(app.override_reason or ""),
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # Spreadsheet formula injection: a cell a candidate influenced must not start a formula.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class OverrideForm(forms.Form):
    position = forms.IntegerField(required=False, min_value=1, label="Rank position")
    outcome = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Keep the computed outcome"),
            ("reached_out", "Reached out"),
            ("silent", "Silent"),
        ],
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


@require_POST
def rank_override(request, application_pk: int):
    application = application_for_page(user=request.user, pk=application_pk)
    if not policy.may_override_rank(request.user, application.requisition):
        raise PermissionDenied("Only the hiring manager can override the ranking.")
    if request.POST.get("clear"):
        scores.rank_override_clear(application=application, actor=request.user)
        messages.success(request, "Override removed: the computed ranking applies.")
        return redirect("followups:ranking", pk=application.requisition_id)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            scores.rank_override_set(
                application=application,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                position=form.cleaned_data["position"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Override saved for {application.candidate.full_name}.")
    else:
        messages.error(
            request,
            "Override not saved: " + "; ".join(e for errs in form.errors.values() for e in errs),
        )
    return redirect("followups:ranking", pk=application.requisition_id)


WEIGHT_FIELDS = tuple(f.name for f in dataclasses.fields(Weights))


class WeightsForm(forms.ModelForm):
    class Meta:
        model = ScoringWeights
        fields = [*WEIGHT_FIELDS, "note"]

    preview_requisition = forms.ModelChoiceField(
        queryset=Requisition.objects.none(), required=False, label="Preview on requisition"
    )

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in WEIGHT_FIELDS}

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            problems = Weights(**self.values()).validate()
            for problem in problems:
                self.add_error(None, problem)
        return cleaned


@require_http_methods(["GET", "POST"])
def weights_edit(request):
    if not policy.may_edit_weights(request.user):
        raise PermissionDenied("Only admins change the scoring weights.")
    current = scores.weights_current()
    initial = {name: getattr(current, name) for name in WEIGHT_FIELDS}
    form = WeightsForm(request.POST or None, initial=initial)
    form.fields["preview_requisition"].queryset = Requisition.objects.visible_to(request.user)
    preview = backtest = None
    if request.method == "POST" and form.is_valid():
        if "save" in request.POST:
            weights = scores.weights_version_create(
                values=form.values(), note=form.cleaned_data["note"], actor=request.user
            )
            messages.success(
                request, f"Saved as version {weights.version}; every score is being recomputed."
            )
            return redirect("followups:weights_edit")
        # Apps above this one check the draft too (evidence: against recorded post-hire
        # outcomes, before it is saved).
        backtest = [check(values=form.values(), now=timezone.now()) for check in _draft_checks]
        backtest = next((result for result in backtest if result is not None), None)
        requisition = form.cleaned_data["preview_requisition"]
        if requisition is None:
            form.add_error("preview_requisition", "Choose a requisition to preview.")
        else:
            preview = scores.weights_preview(
                requisition=requisition, values=form.values(), now=timezone.now()
            )
    return render(
        request,
        "followups/weights.html",
        {"form": form, "current": current, "preview": preview, "backtest": backtest},
        status=422 if form.errors else 200,
    )


def application_page_section(request, application, bound: dict) -> dict:
    """The application page's persistence score (the page is ``candidates.views``')."""
    score = (
        PersistenceScore.objects.filter(application=application, is_current=True)
        .select_related("weights")
        .first()
    )
    return {"score": score}
