"""Read helpers for cases; who may see what is `wangban.cases.access`.

Lights in SQL (大安办法第三十一条 绿灯正常、蓝灯预警、红灯超期; DESIGN.md §5) read the figures
`wangban.cases.schedule.store_clock` keeps on the case and its steps; `today` is always the
local date passed in as a parameter, never the database's `CURRENT_DATE` (PostgreSQL
sessions run in UTC).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import NullIf
from django.urls import reverse

from wangban.cases.access import applicant_cases
from wangban.cases.choices import CLOCK_STATES, Light
from wangban.cases.models import Case, CaseEvent, CaseMaterial, CaseStep, ReplacedMaterial
from wangban.core.errors import InvalidInput


class LightAnnotation(TypedDict):
    light: str | None


if TYPE_CHECKING:  # a case or step annotated with its `light`
    from django_stubs_ext import WithAnnotations

    CaseWithLight = WithAnnotations[Case, LightAnnotation]
    StepWithLight = WithAnnotations[CaseStep, LightAnnotation]


def among_constants(column: str, values: Sequence[str]) -> Q:
    """`column IN ('a', 'b', …)` with the values written into the SQL, not sent as
    parameters. With prepared statements (config/settings.py) PostgreSQL may plan a
    statement once for every value of its parameters; a state sent as a parameter is then
    unknown, nothing proves that a partial index on these states applies, and the plan reads
    the table. The values are our own codes, checked here to be plain words."""
    for value in values:
        if not _CODE.match(value):
            raise ValueError(f"not a plain code: {value!r}")
    literal = ", ".join(f"'{value}'" for value in values)
    return Q(
        Func(F(column), template=f"%(expressions)s IN ({literal})", output_field=BooleanField())
    )


_CODE = re.compile(r"^[a-z_]+$")

#: Accepted, not decided, not closed: the only cases with a light. The same condition as
#: `models.OPEN`, on which partial indexes of the case table are built, with its states
#: written into the SQL (`among_constants`).
OPEN_CLOCK = Q(accepted_on__isnull=False, decided_on__isnull=True) & among_constants(
    "state", CLOCK_STATES
)


def timeline(case: Case) -> QuerySet[CaseEvent]:
    """The case's events, oldest first (API.md `events[]`)."""
    return CaseEvent.objects.filter(case=case).order_by("id")


def reusable_materials(case: Case, user: Any) -> QuerySet[CaseMaterial]:
    """Files of the same applicant's (and legal person's) earlier cases that `case` may
    reuse with `do_attach_material(..., reuse=id)`, newest first: only of cases `user`
    still holds as the applicant side (an agent whose grant for an item ended sees none of
    that item's files, as they no longer see its cases)."""
    return (
        CaseMaterial.objects.filter(
            case__applicant_id=case.applicant_id,
            case__on_behalf_of_id=case.on_behalf_of_id,
            case__in=applicant_cases(user).values("pk"),
            paper=False,
        )
        .exclude(case=case)
        .select_related("case")
        .order_by("-attached_at")
    )


def _require_day(today: object) -> date:
    # A datetime's date may be UTC's day, not Beijing's (DESIGN.md §5): refuse it.
    if isinstance(today, datetime) or not isinstance(today, date):
        raise TypeError(f"today must be a date, not {type(today).__name__}")
    return today


def _light_expression(
    today: date, open_clock: Q, running: str, due: str, blue: str, frozen: str
) -> SqlCase:
    return SqlCase(
        When(~open_clock, then=Value(None)),
        When(**{running: False}, then=NullIf(F(frozen), Value(""))),
        When(**{f"{due}__lt": today}, then=Value(Light.RED.value)),
        When(**{f"{blue}__lte": today}, then=Value(Light.BLUE.value)),
        default=Value(Light.GREEN.value),
        output_field=CharField(null=True),
    )


def with_light(queryset: QuerySet[Case], today: date) -> QuerySet[CaseWithLight]:
    """Annotate `light`: null before acceptance, after the decision and once closed; the
    frozen light while the clock is stopped; `red` once `today` is after the promised due
    date; `blue` from `blue_on`; `green` otherwise (API.md `light`)."""
    _require_day(today)
    return queryset.annotate(
        light=_light_expression(
            today, OPEN_CLOCK, "clock_running", "due_date", "blue_on", "frozen_light"
        )
    )


def light_filter(light: str, today: date) -> Q:
    """The condition of `filter_light` as a Q, on the stored columns (no annotation), so
    that an index on the due date serves it."""
    _require_day(today)
    stopped = Q(clock_running=False, frozen_light=light)
    if light == Light.RED:
        running = Q(clock_running=True, due_date__lt=today)
    elif light == Light.BLUE:
        running = Q(clock_running=True, due_date__gte=today, blue_on__lte=today)
    elif light == Light.GREEN:
        running = Q(clock_running=True, blue_on__gt=today)
    else:
        raise InvalidInput(
            fields={"light": ["灯色应为 green（绿灯）、blue（蓝灯）或 red（红灯）。"]}
        )
    return OPEN_CLOCK & (running | stopped)


def filter_light(queryset: QuerySet[Case], light: str, today: date) -> QuerySet[Case]:
    """The cases of `queryset` whose light is `light` today (API.md `?light=`); an unknown
    light is 400."""
    return queryset.filter(light_filter(light, today))


#: A step has a light while it is open and its case's clock is open.
OPEN_STEP = (
    Q(finished_at__isnull=True)
    & Q(case__accepted_on__isnull=False, case__decided_on__isnull=True)
    & among_constants("case__state", CLOCK_STATES)
)


def with_step_light(queryset: QuerySet[CaseStep], today: date) -> QuerySet[StepWithLight]:
    """Annotate each step's own `light`: none once the step ended; frozen while the case's
    clock is stopped; red after its due date; blue from its `blue_on`; green otherwise."""
    _require_day(today)
    return queryset.annotate(
        light=_light_expression(
            today, OPEN_STEP, "case__clock_running", "due_on", "blue_on", "frozen_light"
        )
    )


def url_file_name(material: CaseMaterial | ReplacedMaterial) -> str:
    """The last part of a material's download URL (or of the file a correction replaced):
    `M01.pdf` for material M01 whose file is a PDF. Never the uploaded name, which may hold
    an identity number (API.md: personal identifiers never travel in URLs); the download
    still carries its real name."""
    suffix = PurePosixPath(material.file_name).suffix.lower()
    return material.material_code + (suffix if suffix.isascii() and len(suffix) <= 6 else "")


def replaced_materials(case: Case, url_name: str) -> list[ReplacedMaterial]:
    """The files corrections replaced (补正前的材料), oldest first, each with its `url`: the
    download view `url_name` (the portal's or the workbench's), ending in the material code
    (`url_file_name`), never in the uploaded name."""
    rows = list(case.replaced_materials.order_by("replaced_at", "pk"))
    for row in rows:
        url = reverse(url_name, args=[case.pk, row.pk, url_file_name(row)])
        row.url = url  # type: ignore[attr-defined]
    return rows
