"""Benchmark: importing a catalogue of 5,000 items, as JSON and as xlsx, into a fresh database.

    .venv/bin/python bench/catalog_import.py [--items N] [--database-url URL] [--seed S]
                                             [--baseline B]

1. Generates N realistic items (default 5,000; seeded) in the API's item representation:
   40 departments, 3–6 materials, 3–5 steps, fees, special procedures, guide fields and a
   JSON Schema form each; writes them as JSON (`jsonio.dump_items`) and as the xlsx
   workbook (`xlsxio.write_workbook`).
2. For each format, a child process starts on a fresh database (SQLite by default, a new
   file in a temporary directory; with `--database-url postgres://…` that database is
   dropped and created again, so give it one of its own), migrates it, creates a centre
   admin, and times:
   - `import_items FILE --by bench_admin --publish --create-departments` (every item new,
     published at once: items, versions, materials, steps, change feed rows, audit events,
     search index, 40 departments), split by its progress lines into reading, checking,
     writing the rows, and the search index with the commit,
   - the same command again (every item unchanged: read, checked, compared, skipped),
   - `export_items` of the whole catalogue in the same format.
   It checks the row counts afterwards. In the JSON run it also times the way without the
   bulk path for comparison: `--baseline` items (default 200) drafted, submitted and
   published one by one through the actions, extrapolated to N.

Target: each import of 5,000 items in under a minute (issue 6: "in seconds, not minutes"),
reported beside the time the actions would take one by one.
The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path, and bench/calendar.py
# would shadow the standard library's `calendar` module: drop it, put the repository root.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("WANGBAN_DEMO", "1")

TARGET_SECONDS = 60  # "seconds, not minutes"
LEVELS = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
DEPARTMENTS = [
    "市交通运输局", "市市场监督管理局", "市卫生健康委员会", "市教育局", "市民政局",
    "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局", "市住房和城乡建设局",
    "市农业农村局", "市商务局", "市文化广电旅游局", "市应急管理局", "市林业局", "市水利局",
    "市公安局", "市司法局", "市财政局", "市退役军人事务局", "市医疗保障局",
]  # fmt: skip
SUBJECTS = [
    "道路运输经营许可证", "食品经营许可证", "药品零售企业许可", "建筑工程施工许可证",
    "排污许可证", "取水许可", "林木采伐许可证", "出版物零售业务许可", "娱乐场所经营许可",
    "民办学校办学许可", "养老机构备案", "医疗机构执业许可", "放射诊疗许可", "消防安全检查",
    "人力资源服务许可", "劳务派遣经营许可", "城镇污水排入排水管网许可", "燃气经营许可",
    "特种设备使用登记", "烟草专卖零售许可证", "危险化学品经营许可证", "机动车驾驶员培训许可",
    "公共场所卫生许可", "农药经营许可", "兽药经营许可证", "建设工程规划许可证",
]  # fmt: skip
ACTIONS = ["核发", "变更", "延续", "注销", "补办", "新办", "换证"]
MATERIALS = [
    ("申请表", "form"), ("营业执照", "certificate"), ("法定代表人身份证明", "certificate"),
    ("场所使用证明", "other"), ("安全管理制度文本", "other"),
    ("专业技术人员资格证书", "certificate"),
    ("授权委托书", "other"), ("设备清单", "other"), ("检测报告", "other"), ("承诺书", "form"),
]  # fmt: skip
STEPS = [("受理", "clerk"), ("审核", "reviewer"), ("复核", "second_reviewer"), ("审批", "approver")]


def make_item(rng: random.Random, n: int) -> dict[str, Any]:
    """One item as `item_to_api` would give it (identity keys included)."""
    department = n % 40
    dept_name = DEPARTMENTS[department % len(DEPARTMENTS)]
    if department >= len(DEPARTMENTS):
        dept_name = dept_name.replace("市", "区", 1)
    subject, action = rng.choice(SUBJECTS), rng.choice(ACTIONS)
    legal = rng.choice([10, 15, 20, 30, 45, 60])
    promised = rng.randint(4, legal)
    steps = [step for step in STEPS if step[1] != "second_reviewer" or rng.random() < 0.5]
    budgets = [1] * len(steps)
    budgets[-1] = promised - (len(steps) - 1)
    chosen = rng.sample(MATERIALS, rng.randint(3, 6))
    properties = {
        f"field{k}": {"type": "string", "title": f"{subject}第{k}项", "description": "请如实填写"}
        for k in range(rng.randint(4, 8))
    }
    return {
        "code": f"11{department + 1:04d}A{n:06d}-511602000000-000-11511301083372{n % 100:02d}-1-00",
        "basic_code": f"000{department + 1:03d}{n % 1000:03d}000",
        "name": f"{subject}{action}（{n}）",
        "type": rng.choice(["01", "01", "01", "07", "20"]),
        "department": {"code": f"B{department + 1:02d}", "name": dept_name},
        "version": 1,
        "effective_on": "2026-11-25",
        "case_type": "2",
        "legal_limit_days": legal,
        "legal_limit_unit": "working_days",
        "legal_limit_note": "《中华人民共和国行政许可法》第四十二条",
        "promised_limit_days": promised,
        "promised_limit_unit": "working_days",
        "promised_limit_note": "",
        "warning_threshold_days": None,
        "service_objects": rng.choice([["1"], ["2", "5"], ["1", "2"]]),
        "handling_forms": ["1", "2"],
        "online_depth": ["1", "2", "3", "4"],
        "online_service_level": rng.choice(["3", "4"]),
        "entrusted_department": None,
        "co_handling_departments": [],
        "visits_required": rng.choice([0, 1]),
        "visits_note": "领取证照",
        "special_procedures": (
            [{"procedure": "site_survey", "days": 5, "note": "现场核查经营场所"}]
            if rng.random() < 0.3
            else []
        ),
        "fees": [{"name": "不收费", "standard": "", "basis": "", "reducible": False}],
        "legal_basis": f"《{subject}管理办法》第{rng.randint(3, 40)}条",
        "acceptance_conditions": "申请人具备相应的经营场所、设备和专业技术人员。",
        "guide": {
            "exercise_level": "3",
            "place": "市政务服务中心二楼综合窗口",
            "office_hours": "工作日 9:00–12:00，13:30–17:30",
            "consultation_phone": f"0813-{rng.randint(2000000, 8999999)}",
            "complaint_phone": "12345",
            "supports_appointment": True,
            "supports_online_payment": False,
            "themes_legal_person": ["准营准办"],
        },
        "steps": [
            {
                "order": k,
                "name": name,
                "role": role,
                "budget_days": budget,
                "assignment": "pool",
                "assignee": None,
                "department": None,
            }
            for k, ((name, role), budget) in enumerate(zip(steps, budgets, strict=True), 1)
        ],
        "materials": [
            {
                "code": f"M{k:02d}",
                "name": name,
                "required": True,
                "condition": "",
                "certificate_type": None,
                "material_type": kind,
                "form": "electronic",
                "source_channel": "applicant",
                "originals": 1,
                "copies": 0,
                "paper_size": "A4",
                "filling_notes": "",
                "acceptance_standard": "内容完整、签章齐全",
                "basis": "",
                "blank_form": None,
                "sample": None,
            }
            for k, (name, kind) in enumerate(chosen, 1)
        ],
        "result_sample": None,
        "form_schema": {
            "type": "object",
            "title": f"{subject}{action}申请表",
            "properties": properties,
            "required": list(properties)[:2],
        },
    }


def generate(count: int, seed: int, directory: str) -> dict[str, str]:
    """Write the items as JSON and xlsx; returns the paths."""
    import django

    django.setup()
    from wangban.catalog.transfer.jsonio import dump_items
    from wangban.catalog.transfer.xlsxio import write_workbook

    rng = random.Random(seed)
    items = [make_item(rng, n) for n in range(1, count + 1)]
    paths = {"json": os.path.join(directory, "items.json")}
    with open(paths["json"], "w", encoding="utf-8") as stream:
        stream.write(dump_items(items))
    paths["xlsx"] = os.path.join(directory, "items.xlsx")
    started = time.perf_counter()
    with open(paths["xlsx"], "wb") as stream:
        write_workbook(items, stream, levels=LEVELS)
    seconds = time.perf_counter() - started
    print(f"generated {count} items as JSON and xlsx (the workbook written in {seconds:.2f} s)")
    return paths


def fresh_postgres(url: str) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    conninfo = psycopg.conninfo.make_conninfo(
        host=str(config.get("HOST") or "127.0.0.1"),
        port=str(config.get("PORT") or 5432),
        user=str(config.get("USER") or "postgres"),
        password=config.get("PASSWORD") or None,
        dbname="postgres",
    )
    with psycopg.connect(conninfo, autocommit=True) as admin:
        name = config["NAME"]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


class Phases(io.StringIO):
    """The command's stderr: passes progress through and notes when each phase ended (the
    last "已读取", "已校验" and "已写入" lines), to split an import's time."""

    def start(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}

    def write(self, text: str) -> int:
        for phase, word in (("read", "已读取"), ("check", "已校验"), ("write", "已写入")):
            if text.startswith(word):
                self.marks[phase] = time.perf_counter() - self.started
        sys.stderr.write(text)
        return len(text)

    def phases(self, total: float) -> dict[str, float]:
        """Seconds of reading, checking, writing the rows, and the rest (search index,
        commit); reading a JSON file is counted with the checks."""
        ends = [self.marks.get("read", 0.0), self.marks["check"], self.marks["write"], total]
        names = ["read", "check", "write_rows", "index_and_commit"]
        starts = [0.0, *ends[:-1]]
        return {n: round(e - b, 2) for n, b, e in zip(names, starts, ends, strict=True)}


def baseline(count: int, sample: int, admin: Any) -> float:
    """Seconds to publish `count` items one by one through the actions, from `sample`."""
    from wangban.accounts.choices import Role
    from wangban.accounts.models import Department, RoleGrant, User
    from wangban.catalog import actions
    from wangban.catalog.queries import IDENTITY_KEYS

    keeper = User.objects.create_user("bench_keeper", department=admin.department)
    RoleGrant.objects.bulk_create(
        RoleGrant(user=keeper, department=d, role=Role.DEPT_ADMIN) for d in Department.objects.all()
    )
    departments = {d.code: d for d in Department.objects.all()}
    rng = random.Random(99)
    items = [make_item(rng, count + n) for n in range(1, sample + 1)]
    started = time.perf_counter()
    for data in items:
        content = {k: v for k, v in data.items() if k not in IDENTITY_KEYS}
        version = actions.do_draft_item(
            actor=keeper,
            code=data["code"] + "-B",
            department=departments[data["department"]["code"]],
            basic_code=data["basic_code"],
            content=content,
        )
        version = actions.do_submit_for_review(version, actor=keeper)
        actions.do_review(version, actor=admin, approve=True)
    seconds = time.perf_counter() - started
    return round(seconds * count / sample, 1)


def child(fmt: str, path: str, count: int, sample: int) -> None:
    """In a fresh database: migrate, import twice, export; print the figures as JSON."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        fresh_postgres(url)
    import django

    django.setup()
    from django.core.management import call_command

    from wangban.accounts.choices import Role
    from wangban.accounts.models import Department, RoleGrant, User
    from wangban.audit.models import AuditEvent
    from wangban.catalog.models import ItemChange, ItemVersion, Material, ServiceItem, WorkflowStep

    call_command("migrate", verbosity=0)
    centre = Department.objects.create(code="C00", name="市政务服务中心", is_service_centre=True)
    admin = User.objects.create_user("bench_admin", department=centre)
    RoleGrant.objects.create(user=admin, department=centre, role=Role.CENTRE_ADMIN)

    progress = Phases()

    def timed(*args: str) -> tuple[float, str]:
        out = io.StringIO()
        progress.start()
        call_command(*args, stdout=out, stderr=progress)
        return round(time.perf_counter() - progress.started, 2), out.getvalue().strip()

    first, said = timed(
        "import_items", path, "--by", "bench_admin", "--publish", "--create-departments"
    )
    phases = progress.phases(first)
    print(f"[{fmt}] first import: {first} s — {said.splitlines()[0]}", file=sys.stderr)
    print(f"[{fmt}]   phases (s): {phases}", file=sys.stderr)
    again, said_again = timed("import_items", path, "--by", "bench_admin", "--publish")
    print(f"[{fmt}] import again: {again} s — {said_again}", file=sys.stderr)
    exported = os.path.join(os.path.dirname(path), f"export.{fmt}")
    export, _ = timed("export_items", exported)
    counts = {
        "items": ServiceItem.objects.count(),
        "versions": ItemVersion.objects.count(),
        "materials": Material.objects.count(),
        "steps": WorkflowStep.objects.count(),
        "changes": ItemChange.objects.count(),
        "audit_events": AuditEvent.objects.filter(action__startswith="item.").count(),
    }
    assert counts["items"] == counts["versions"] == counts["changes"] == count, counts
    assert counts["audit_events"] == 3 * count, counts
    figures: dict[str, Any] = {
        "format": fmt,
        "import_seconds": first,
        "reimport_unchanged_seconds": again,
        "export_seconds": export,
        "import_phases_seconds": phases,
        **counts,
    }
    if fmt == "json" and sample:
        figures["actions_one_by_one_seconds"] = baseline(count, sample, admin)
        print(
            f"[{fmt}] through the actions one by one: {figures['actions_one_by_one_seconds']} s "
            f"(extrapolated from {sample} items)",
            file=sys.stderr,
        )
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--database-url", help="PostgreSQL URL (dropped and created afresh)")
    parser.add_argument("--baseline", type=int, default=200, help="items through the actions")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.items, args.baseline)
        return

    directory = tempfile.mkdtemp(prefix="wangban-bench-import-")
    os.environ["WANGBAN_VAR_DIR"] = os.path.join(directory, "generate")
    os.environ.pop("DATABASE_URL", None)
    paths = generate(args.items, args.seed, directory)
    database = "postgresql" if args.database_url else "sqlite"
    figures: dict[str, Any] = {"benchmark": "catalog_import", "database": database}
    figures["items"] = args.items
    for fmt in ("json", "xlsx"):
        env = dict(os.environ)
        env["WANGBAN_VAR_DIR"] = os.path.join(directory, f"var-{fmt}")
        os.makedirs(env["WANGBAN_VAR_DIR"])
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        command = [sys.executable, os.path.abspath(__file__), "--child", fmt, paths[fmt]]
        command += ["--items", str(args.items), "--baseline", str(args.baseline)]
        result = subprocess.run(  # noqa: S603 (this very script, with our own arguments)
            command, env=env, capture_output=True, text=True, check=False
        )
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            raise SystemExit(f"{fmt} import failed")
        child_figures = json.loads(result.stdout.strip().splitlines()[-1])
        keys = ("import_seconds", "import_phases_seconds", "reimport_unchanged_seconds")
        for key in (*keys, "export_seconds"):
            figures[f"{fmt}_{key}"] = child_figures[key]
        if "actions_one_by_one_seconds" in child_figures:
            figures["actions_one_by_one_seconds"] = child_figures["actions_one_by_one_seconds"]
        print(
            f"{fmt}: import {child_figures['import_seconds']} s, "
            f"again (unchanged) {child_figures['reimport_unchanged_seconds']} s, "
            f"export {child_figures['export_seconds']} s",
            flush=True,
        )
    if "actions_one_by_one_seconds" in figures:
        ratio = figures["actions_one_by_one_seconds"] / figures["json_import_seconds"]
        figures["json_speedup_over_actions"] = round(ratio, 1)
    figures["unit"] = "seconds"
    figures["target_seconds"] = TARGET_SECONDS
    figures["ok"] = all(
        figures[f"{fmt}_import_seconds"] < TARGET_SECONDS for fmt in ("json", "xlsx")
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
