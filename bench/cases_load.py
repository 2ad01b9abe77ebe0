"""The data of bench/cases.py: a city of 50 departments and N cases in a realistic mix of
states, loaded into a fresh PostgreSQL database (run in the benchmark's child process, with
Django set up on the benchmark's settings).

Departments, items, versions, steps, staff, grants and tokens go through the ORM; cases and
their steps through `COPY`, with the stored clock fields (`clock_running`, `due_date`,
`legal_due_date`, `blue_on`, `frozen_light`, `days_used`, `frozen_remaining`,
`current_step`) computed by the pure clock (`wangban.cases.clock.clock_state`) on the active
calendar, exactly as `schedule.store_clock` would have stored them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEPARTMENTS = 50
ITEMS_PER_DEPARTMENT = 4
APPLICANTS = 5000
#: (state, share): what a city's case table looks like about a year after going live.
MIX = [
    ("draft", 0.03),
    ("submitted", 0.03),
    ("correction_requested", 0.02),
    ("rejected", 0.02),
    ("terminated", 0.01),
    ("withdrawn", 0.02),
    ("in_review", 0.12),
    ("suspended", 0.02),
    ("approved", 0.04),
    ("denied", 0.01),
    ("completed", 0.68),
]
STEPS = [
    ("受理", "clerk", 1),
    ("审核", "reviewer", 0),
    ("复核", "second_reviewer", 0),
    ("审批", "approver", 0),
]
SUBJECTS = [
    "道路运输经营",
    "食品经营",
    "药品零售",
    "建筑工程施工",
    "排污",
    "取水",
    "医疗机构执业",
    "人力资源服务",
    "燃气经营",
    "旅行社设立",
]
FORM_SCHEMA = {
    "type": "object",
    "title": "申请表",
    "properties": {"company": {"type": "string", "title": "申请单位"}},
    "required": ["company"],
}
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway database


def _copy(cursor: Any, table: str, columns: list[str], rows: Iterator[list[Any]]) -> int:
    """COPY rows (lists of Python values, None for NULL) into `table` in text format."""
    count = 0

    def text(value: Any) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    quoted = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        buffer: list[str] = []
        for row in rows:
            buffer.append("\t".join(text(v) for v in row))
            count += 1
            if len(buffer) >= 5000:
                copy.write("\n".join(buffer) + "\n")
                buffer = []
        if buffer:
            copy.write("\n".join(buffer) + "\n")
    return count


def _template(model: Any) -> tuple[list[str], list[Any]]:
    """The model's concrete columns and a row of their defaults (None where there is none)."""
    from django.db.models import NOT_PROVIDED

    columns, values = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        default = field.default
        if default is NOT_PROVIDED:
            value = (
                None
                if field.null
                else ("" if field.get_internal_type() in ("CharField", "TextField") else None)
            )
        else:
            value = default() if callable(default) else default
        if field.get_internal_type() == "JSONField":
            import json

            value = json.dumps(value if value is not None else {})
        values.append(value)
    return columns, values


def build_city(seed: int) -> dict[str, Any]:
    """Departments, items with published versions and four steps, staff with their grants,
    applicants, and API tokens for the measurements."""
    from django.db import transaction
    from django.utils import timezone

    from wangban.accounts.choices import RealNameLevel, Role
    from wangban.accounts.models import ApiToken, Department, Person, RoleGrant, User
    from wangban.catalog.models import ItemVersion, Material, ServiceItem, WorkflowStep
    from wangban.core import pii
    from wangban.core.identifiers import mask_resident_id

    rng = random.Random(seed)
    today = timezone.localdate()
    with transaction.atomic():
        centre = Department.objects.create(
            code="C00", name="市政务服务中心", is_service_centre=True
        )
        departments = Department.objects.bulk_create(
            Department(code=f"B{n:02d}", name=f"市第{n}局") for n in range(1, DEPARTMENTS + 1)
        )
        author = User.objects.create_user("bench_author", department=centre)
        items, versions = [], []
        for department in departments:
            for k in range(ITEMS_PER_DEPARTMENT):
                items.append(
                    ServiceItem(code=f"{department.code}-ITEM-{k:02d}", department=department)
                )
        items = ServiceItem.objects.bulk_create(items)
        for n, item in enumerate(items):
            legal = rng.choice([10, 15, 20, 20, 30])
            promised = rng.choice([p for p in (5, 8, 10, 12, 15) if p <= legal])
            versions.append(
                ItemVersion(
                    item=item,
                    number=1,
                    change_kind="new",
                    state="published",
                    department_id=item.department_id,
                    effective_on=today - timedelta(days=500),
                    created_by=author,
                    name=f"{SUBJECTS[n % len(SUBJECTS)]}许可（{item.code}）",
                    item_type="01",
                    case_type="2",
                    legal_limit_days=legal,
                    legal_limit_unit="working_days",
                    promised_limit_days=promised,
                    promised_limit_unit="working_days",
                    warning_threshold_days=max(1, -(-promised // 5)),
                    service_objects=["1", "2"],
                    handling_forms=["1", "2"],
                    online_depth=["1", "2", "3", "4"],
                    online_service_level_id="3",
                    visits_required=0,
                    fees=[{"name": "不收费", "standard": "", "basis": "", "reducible": False}],
                    legal_basis="《中华人民共和国行政许可法》第三十八条",
                    acceptance_conditions="申请人具备相应的条件。",
                    guide={"place": "市政务服务中心", "consultation_phone": "0813-12345"},
                    form_schema=FORM_SCHEMA,
                )
            )
        versions = ItemVersion.objects.bulk_create(versions)
        Material.objects.bulk_create(
            Material(version=v, order=k, code=f"M0{k}", name=name)
            for v in versions
            for k, name in ((1, "申请表"), (2, "营业执照"))
        )
        steps = []
        for v in versions:
            rest = v.promised_limit_days - 1
            budgets = [1, rest - 2 * (rest // 3), rest // 3, rest // 3]
            for order, ((name, role, _), budget) in enumerate(zip(STEPS, budgets, strict=True), 1):
                steps.append(
                    WorkflowStep(version=v, order=order, name=name, role=role, budget_days=budget)
                )
        WorkflowStep.objects.bulk_create(steps)
        staff = []
        for department in departments:
            user = User.objects.create_user(
                f"{department.code.lower()}_staff",
                password=PASSWORD,
                real_name=f"{department.name}工作人员",
                department=department,
            )
            staff.append(user)
            RoleGrant.objects.bulk_create(
                RoleGrant(user=user, department=department, role=role)
                for role in (
                    Role.CLERK,
                    Role.HANDLER,
                    Role.REVIEWER,
                    Role.SECOND_REVIEWER,
                    Role.APPROVER,
                )
            )
        supervisor = User.objects.create_user(
            "bench_supervisor", password=PASSWORD, real_name="监察员", department=centre
        )
        RoleGrant.objects.create(user=supervisor, department=centre, role=Role.SUPERVISOR)
        applicants = User.objects.bulk_create(
            User(username=f"applicant{n:05d}", real_name=f"申请人{n}", phone=f"1380000{n:04d}")
            for n in range(APPLICANTS)
        )
        for user in applicants[:200]:  # the lifecycle applicants: identity verified
            body = f"11010119900307{user.pk % 1000:03d}"
            id_number = body + _ric_check(body)
            Person.objects.create(
                user=user,
                real_name=user.real_name,
                id_number_encrypted=pii.encrypt(id_number),
                id_number_digest=pii.digest(id_number),
                id_number_masked=mask_resident_id(id_number),
                phone=user.phone,
                real_name_level=RealNameLevel.IDENTITY_VERIFIED,
            )
        ttl = timedelta(days=2)
        tokens = {
            "department": ApiToken.issue(staff[0], ttl=ttl)[1],
            "supervisor": ApiToken.issue(supervisor, ttl=ttl)[1],
            "staff": {
                d.code: ApiToken.issue(u, ttl=ttl)[1]
                for u, d in zip(staff[:10], departments[:10], strict=True)
            },
            "applicants": [ApiToken.issue(u, ttl=ttl)[1] for u in applicants[:200]],
        }
    return {
        "tokens": tokens,
        "lifecycle_items": [i.code for i in items if i.department.code in tokens["staff"]],
        "staff_username": staff[0].username,
    }


def _ric_check(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def load_cases(count: int, seed: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """COPY `count` cases and their steps in one transaction, in the mix of `MIX`."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wangban.accounts.models import User
    from wangban.cases import clock
    from wangban.cases.models import Case, CaseStep
    from wangban.cases.schedule import current_calendar, step_warning_days
    from wangban.catalog.models import ItemVersion, WorkflowStep

    rng = random.Random(seed)
    cal = current_calendar()
    today = timezone.localdate()
    versions = list(
        ItemVersion.objects.values(
            "pk",
            "item_id",
            "department_id",
            "promised_limit_days",
            "legal_limit_days",
            "warning_threshold_days",
        )
    )
    workflow: dict[int, list[Any]] = {}
    for step in WorkflowStep.objects.order_by("order").values(
        "pk", "version_id", "order", "name", "role", "budget_days"
    ):
        workflow.setdefault(step["version_id"], []).append(step)
    applicant_ids = list(
        User.objects.filter(username__startswith="applicant").values_list("pk", flat=True)
    )
    staff_of = dict(
        User.objects.filter(username__endswith="_staff").values_list("department_id", "pk")
    )
    states = [s for s, _ in MIX]
    weights = [w for _, w in MIX]

    @cache
    def working_back(day: date, n: int) -> date:
        """The n-th working day before `day` (after it for a negative n)."""
        if n < 0:
            return cal.add_working_days(day, -n)
        while n > 0:
            day -= timedelta(days=1)
            n -= cal.is_working_day(day)
        return day

    @cache
    def case_state(a: date, p: int, legal: int, w: int, stop: date | None, decided: date | None):
        events = (clock.Stop(on=stop),) if stop else ()
        pure = clock.Clock(
            accepted_on=a,
            promised=clock.Limit(p, "working_days"),
            statutory=clock.Limit(legal, "working_days"),
            warning_days=w,
            events=events,
            decided_on=decided,
        )
        return clock.clock_state(pure, today, cal)

    @cache
    def step_state(started: date, budget: int, stop: date | None):
        events = (clock.Stop(on=stop),) if stop else ()
        limit = clock.Limit(budget, "working_days")
        pure = clock.Clock(
            accepted_on=started,
            promised=limit,
            statutory=limit,
            warning_days=step_warning_days(budget),
            events=events,
        )
        return clock.clock_state(pure, today, cal)

    def moment(day: date, hour: int = 10) -> datetime:
        return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=SHANGHAI)

    case_columns, case_template = _template(Case)
    step_columns, step_template = _template(CaseStep)
    ci = {c: n for n, c in enumerate(case_columns)}
    si = {c: n for n, c in enumerate(step_columns)}
    step_rows: list[list[Any]] = []
    next_step = [1]
    counts: dict[str, int] = dict.fromkeys(states, 0)

    def add_step(
        case_id: str,
        wf: dict[str, Any],
        dept: int,
        started: date,
        finished: date | None,
        outcome: str,
        stop: date | None,
    ) -> int:
        row = list(step_template)
        pk = next_step[0]
        next_step[0] += 1
        row[si["id"]] = pk
        row[si["case_id"]] = case_id
        row[si["visit"]] = wf["order"]
        row[si["workflow_step_id"]] = wf["pk"]
        row[si["order"]] = wf["order"]
        row[si["name"]] = wf["name"]
        row[si["role"]] = wf["role"]
        row[si["department_id"]] = dept
        row[si["budget_days"]] = wf["budget_days"]
        row[si["started_at"]] = moment(started, 11)
        row[si["started_on"]] = started
        state = step_state(started, wf["budget_days"], stop if finished is None else None)
        row[si["due_on"]] = state.due_date
        row[si["blue_on"]] = state.blue_on
        if finished is None and stop is not None:
            row[si["frozen_light"]] = state.light or ""
        if finished is not None:
            row[si["finished_at"]] = moment(finished, 15)
            row[si["outcome"]] = outcome
            row[si["opinion"]] = "同意。"
            row[si["actor_id"]] = staff_of[dept]
            row[si["actor_name"]] = "工作人员"
        step_rows.append(row)
        return pk

    def rows() -> Iterator[list[Any]]:
        for n in range(count):
            state = rng.choices(states, weights)[0]
            counts[state] += 1
            v = versions[rng.randrange(len(versions))]
            dept = v["department_id"]
            row = list(case_template)
            case_id = f"{rng.getrandbits(80):020x}"
            row[ci["id"]] = case_id
            row[ci["item_id"]] = v["item_id"]
            row[ci["version_id"]] = v["pk"]
            row[ci["department_id"]] = dept
            row[ci["accepting_department_id"]] = dept
            applicant = applicant_ids[rng.randrange(len(applicant_ids))]
            row[ci["applicant_id"]] = applicant
            row[ci["created_by_id"]] = applicant
            row[ci["channel"]] = rng.choice(["online", "online", "online", "window", "mobile"])
            row[ci["state"]] = state
            row[ci["form"]] = '{"company": "某某有限公司"}'
            p, legal, w = (
                v["promised_limit_days"],
                v["legal_limit_days"],
                v["warning_threshold_days"],
            )
            wf = workflow[v["pk"]]
            if state == "draft":
                created = today - timedelta(days=rng.randint(0, 30))
                row[ci["created_at"]] = moment(created, 9)
                yield row
                continue
            if state in ("submitted", "correction_requested"):
                received = working_back(today, rng.randint(0, 4))
            elif state in ("in_review", "suspended"):
                received = working_back(today, rng.randint(1, p + legal // 2 + 3))
            else:
                received = working_back(today, rng.randint(p + 5, 260))
            row[ci["created_at"]] = moment(received, 8)
            row[ci["submission"]] = 1
            row[ci["submitted_at"]] = moment(received, 9)
            row[ci["received_on"]] = received
            row[ci["signed_in_at"]] = moment(received, 10)
            row[ci["signed_in_by_id"]] = staff_of[dept]
            row[ci["reply_due_on"]] = cal.add_working_days(received, 1)
            row[ci["deemed_due_on"]] = clock.deemed_acceptance_due(received, cal)
            if state == "correction_requested":
                row[ci["correction_due_on"]] = cal.add_working_days(received, 10)
            if state in ("submitted", "correction_requested"):
                yield row
                continue
            if state in ("rejected", "terminated", "withdrawn"):
                row[ci["closing_reason"]] = "不符合受理条件。"
                row[ci["closed_at"]] = moment(received, 16)
                yield row
                continue
            accepted = received if rng.random() < 0.7 else working_back(received, -1)
            accepted = (
                min(accepted, working_back(today, 1))
                if state in ("in_review", "suspended")
                else accepted
            )
            row[ci["accepted_on"]] = accepted
            row[ci["accepted_by_id"]] = staff_of[dept]
            row[ci["receipt_no"]] = f"{dept:03d}{n:09d}"
            stop = decided = None
            if state == "suspended":
                span = (today - accepted).days
                stop = accepted + timedelta(days=rng.randint(1, max(1, span)))
            if state in ("approved", "denied", "completed"):
                decided = working_back(accepted, -rng.randint(max(1, p - 4), p + 2))
                decided = min(decided, today)
            cs = case_state(accepted, p, legal, w, stop, decided)
            row[ci["clock_running"]] = cs.running
            row[ci["due_date"]] = cs.due_date
            row[ci["legal_due_date"]] = cs.legal_due_date
            row[ci["blue_on"]] = cs.blue_on
            row[ci["frozen_light"]] = (cs.light or "") if stop else ""
            row[ci["days_used"]] = cs.used
            row[ci["frozen_remaining"]] = None if cs.running else cs.remaining_working_days
            # The steps: 受理 done by the acceptance; then one per stretch of the clock.
            add_step(case_id, wf[0], dept, accepted, accepted, "accept", None)
            if decided is not None:
                last = accepted
                for k, step in enumerate(wf[1:], 1):
                    end = (
                        decided
                        if k == len(wf) - 1
                        else min(decided, working_back(last, -max(1, step["budget_days"])))
                    )
                    add_step(
                        case_id,
                        step,
                        dept,
                        last,
                        end,
                        "decide" if k == len(wf) - 1 else "approve",
                        None,
                    )
                    last = end
                row[ci["decided_on"]] = decided
                row[ci["decided_by_id"]] = staff_of[dept]
                row[ci["decision_reason"]] = "符合法定条件。"
                row[ci["decision_legal_basis"]] = "《中华人民共和国行政许可法》第三十八条"
                if state == "completed":
                    row[ci["delivery"]] = rng.choice(["pickup", "mail", "online"])
                    row[ci["closed_at"]] = moment(min(today, decided + timedelta(days=3)), 16)
            else:
                # Open: the case is somewhere in its steps, by how much of the limit is used.
                at = min(len(wf) - 1, 1 + (cs.used * (len(wf) - 1)) // max(1, p))
                last = accepted
                horizon = stop or today  # a stopped case's steps moved no further
                for step in wf[1:at]:
                    end = min(horizon, working_back(last, -max(1, step["budget_days"])))
                    add_step(case_id, step, dept, last, end, "approve", None)
                    last = end
                row[ci["current_step_id"]] = add_step(case_id, wf[at], dept, last, None, "", stop)
            row[ci["created_at"]] = moment(received, 8)
            yield row

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        # The rows are consistent by construction: skip the per-row foreign-key triggers of
        # this bulk load (deferred, they would queue millions of checks for the commit).
        cursor.execute("SET LOCAL session_replication_role = replica")
        loaded = 0
        source = rows()
        while loaded < count:
            size = min(100_000, count - loaded)
            _copy(raw, Case._meta.db_table, case_columns, _take(source, size))
            _copy(raw, CaseStep._meta.db_table, step_columns, iter(step_rows))
            loaded += size
            step_rows.clear()
            progress(f"{loaded:,} cases copied ({time.perf_counter() - started:.0f} s)")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [CaseStep._meta.db_table, next_step[0]],
        )
    copied = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "copy_seconds": round(copied, 1),
        "analyze_seconds": round(time.perf_counter() - started, 1),
        "steps": next_step[0] - 1,
        "states": counts,
    }


def _take(source: Iterator[list[Any]], n: int) -> Iterator[list[Any]]:
    for _ in range(n):
        yield next(source)
