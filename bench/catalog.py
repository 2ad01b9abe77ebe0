"""Benchmark: Chinese full-text search of a 10,000-item catalogue through the real API server.

    .venv/bin/python bench/catalog.py [--items N] [--queries Q] [--seed S]
        [--database-url sqlite] [--database-url postgres://USER@HOST:PORT/NEW_DB_NAME]

For each database (default: a SQLite file in a temporary directory; `--database-url` may be
repeated, `sqlite` naming that default; a PostgreSQL URL names a database that must not
exist yet: it is created for the run and dropped afterwards):

1. A child process migrates the fresh database and writes N realistic items straight into
   it (bulk inserts of items, published versions, materials and steps, 40 departments),
   then builds the search index with `refresh_index` in batches of 1,000 (timed).
2. granian serves the app as `manage.py serve` does (WSGI, 2 workers, 4 blocking threads),
   demo mode, on a free port.
3. Ten warm-up requests (each worker loads jieba once, about 0.6 s; the first one is
   reported as `cold_ms`), then Q (default 200) varied queries, one at a time over one
   keep-alive connection, through `GET /api/v1/items?q=` (the default page of 20 items in
   the full representation): words from item names, two-word queries, whole names,
   department words, pinyin initials and misses. Latency is measured at the client.

Target: p95 < 30 ms on each database. The last line of output is one JSON object with every
figure.
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
import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(_HERE).parent
TARGET_P95_MS = 30.0
INDEX_BATCH = 1000
DEPARTMENTS = [
    "市交通运输局", "市市场监督管理局", "市卫生健康委员会", "市教育局", "市民政局",
    "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局", "市住房和城乡建设局",
    "市农业农村局", "市商务局", "市文化广电旅游局", "市应急管理局", "市林业局", "市水利局",
    "市公安局", "市司法局", "市财政局", "市退役军人事务局", "市医疗保障局",
]  # fmt: skip
SUBJECTS = [
    "道路运输经营", "食品经营", "食品生产", "药品零售", "药品批发", "建筑工程施工", "排污",
    "取水", "林木采伐", "出版物零售", "娱乐场所经营", "民办学校办学", "医疗机构执业",
    "放射诊疗", "人力资源服务", "劳务派遣经营", "城镇污水排入排水管网", "燃气经营",
    "烟草专卖零售", "危险化学品经营", "机动车驾驶员培训", "公共场所卫生", "农药经营",
    "兽药经营", "建设工程规划", "旅行社设立", "户外广告设置", "特种设备使用", "港口经营",
    "出租汽车经营", "网络预约出租汽车经营", "校车使用", "母婴保健技术服务", "护士执业",
    "执业医师注册", "动物诊疗", "种子生产经营", "渔业捕捞", "水产苗种生产", "生猪定点屠宰",
]  # fmt: skip
KINDS = ["许可证核发", "许可", "许可证变更", "许可证延续", "许可证注销", "登记", "备案", "审批"]
MATERIALS = [
    "申请表", "营业执照", "法定代表人身份证明", "场所使用证明", "安全管理制度文本",
    "专业技术人员资格证书", "授权委托书", "设备清单", "检测报告", "承诺书", "平面布局图",
    "环境影响评价文件", "消防安全检查合格证明", "从业人员健康证明",
]  # fmt: skip
THEMES_PERSON = ["教育科研", "医疗卫生", "交通出行", "就业创业", "住房保障", "社会保障"]
THEMES_LEGAL = ["准营准办", "设立变更", "工程建设", "交通运输", "医疗卫生", "农林牧渔"]
STEPS = [("受理", "clerk", 1), ("审核", "reviewer", 3), ("审批", "approver", 2)]
MISSES = [
    "航天发射", "深海采矿", "核电站", "区块链", "潜水艇", "外星人", "量子计算", "qqxx",
    "zzzz", "火星移民",
]  # fmt: skip


# --- The child: a fresh database with N items -------------------------------------------


def make_catalogue(count: int, seed: int) -> dict[str, Any]:
    """Migrate, insert `count` published items with bulk inserts, index them."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from wangban.accounts.models import Department, User
    from wangban.catalog.models import ItemVersion, Material, ServiceItem, WorkflowStep
    from wangban.catalog.search import ItemSearch, refresh_index

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    started = time.perf_counter()
    departments = Department.objects.bulk_create(
        Department(code=f"B{n + 1:02d}", name=name if n < 20 else name.replace("市", "区", 1))
        for n, name in enumerate(DEPARTMENTS * 2)
    )
    author = User.objects.create_user("bench_author", department=departments[0])
    today = timezone.localdate()
    with transaction.atomic():
        items = ServiceItem.objects.bulk_create(
            (
                ServiceItem(
                    code=f"11{n % 40 + 1:04d}A{n:06d}-511602000000-000-11511301{n:08d}-1-00",
                    basic_code=f"000{n % 40 + 1:03d}{n % 1000:03d}000",
                    department=departments[n % 40],
                )
                for n in range(count)
            ),
            batch_size=1000,
        )
        versions = ItemVersion.objects.bulk_create(
            (_version(rng, item, author, today) for item in items), batch_size=1000
        )
        Material.objects.bulk_create(
            (
                Material(version=version, order=k, code=f"M{k:02d}", name=name)
                for version in versions
                for k, name in enumerate(rng.sample(MATERIALS, rng.randint(3, 6)), 1)
            ),
            batch_size=2000,
        )
        WorkflowStep.objects.bulk_create(
            (
                WorkflowStep(version=version, order=k, name=name, role=role, budget_days=days)
                for version in versions
                for k, (name, role, days) in enumerate(STEPS, 1)
            ),
            batch_size=2000,
        )
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    ids = [item.pk for item in items]
    for start in range(0, len(ids), INDEX_BATCH):
        with transaction.atomic():
            refresh_index(ids[start : start + INDEX_BATCH])
    indexed = time.perf_counter() - started
    assert ItemSearch.objects.count() == count
    if connection.vendor == "postgresql":
        # Planner statistics, as autovacuum gathers them within a minute of a bulk load.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    names = list(ItemVersion.objects.values_list("name", flat=True)[:500])
    return {
        "insert_seconds": round(inserted, 2),
        "index_seconds": round(indexed, 2),
        "names": names,
    }


def _version(rng: random.Random, item: Any, author: Any, today: Any) -> Any:
    from wangban.catalog.models import ItemVersion

    subject = rng.choice(SUBJECTS)
    name = f"{subject}{rng.choice(KINDS)}"
    legal = rng.choice([10, 15, 20, 30])
    return ItemVersion(
        item=item,
        number=1,
        change_kind="new",
        state="published",
        department_id=item.department_id,
        effective_on=today,
        created_by=author,
        name=name,
        item_type=rng.choice(["01", "01", "01", "07", "20"]),
        case_type="2",
        legal_limit_days=legal,
        legal_limit_unit="working_days",
        promised_limit_days=rng.randint(6, legal),
        promised_limit_unit="working_days",
        warning_threshold_days=2,
        service_objects=rng.choice([["1"], ["2", "5"], ["1", "2"]]),
        handling_forms=["1", "2"],
        online_depth=["1", "2", "3", "4"],
        online_service_level_id=rng.choice(["3", "4"]),
        visits_required=rng.choice([0, 1]),
        fees=[{"name": "不收费", "standard": "", "basis": "", "reducible": False}],
        legal_basis=f"《{subject}管理办法》第{rng.randint(3, 40)}条",
        acceptance_conditions="申请人具备相应的经营场所、设备和专业技术人员。",
        guide={
            "place": "市政务服务中心二楼综合窗口",
            "consultation_phone": "0813-12345",
            "themes_person": rng.sample(THEMES_PERSON, 1),
            "themes_legal_person": rng.sample(THEMES_LEGAL, 2),
        },
        form_schema={
            "type": "object",
            "title": f"{name}申请表",
            "properties": {
                f"field{k}": {"type": "string", "title": f"第{k}项", "description": "请如实填写"}
                for k in range(6)
            },
        },
    )


# --- The queries ------------------------------------------------------------------------


def make_queries(count: int, seed: int, names: list[str]) -> list[tuple[str, str]]:
    """(kind, q): realistic searches of the generated catalogue and some misses."""
    from pypinyin import Style, lazy_pinyin

    rng = random.Random(seed + 1)

    def initials(text: str) -> str:
        return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))

    makers = [
        ("word", lambda: rng.choice(["许可", "登记", "备案", "经营", "食品", "药品", "施工"])),
        ("subject", lambda: rng.choice(SUBJECTS)),
        ("two_words", lambda: f"{rng.choice(SUBJECTS)[:2]} {rng.choice(KINDS)[:2]}"),
        ("name", lambda: rng.choice(names)),
        ("name_prefix", lambda: rng.choice(names)[:4]),
        ("department", lambda: f"{rng.choice(DEPARTMENTS)[1:5]} {rng.choice(['许可', '登记'])}"),
        ("material", lambda: rng.choice(MATERIALS)),
        ("pinyin", lambda: initials(rng.choice(SUBJECTS))[: rng.randint(2, 4)]),
        ("miss", lambda: rng.choice(MISSES)),
        ("miss_two_words", lambda: f"{rng.choice(SUBJECTS)[:2]} {rng.choice(MISSES)}"),
    ]
    return [(kind, make()) for kind, make in (rng.choice(makers) for _ in range(count))]


# --- The parent: serve and measure ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_admin(url: str) -> tuple[Any, str]:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"not a PostgreSQL URL: {url}")
    conninfo = psycopg.conninfo.make_conninfo(
        host=str(config.get("HOST") or "127.0.0.1"),
        port=str(config.get("PORT") or 5432),
        user=str(config.get("USER") or "postgres"),
        password=config.get("PASSWORD") or None,
        dbname="postgres",
    )
    return psycopg.connect(conninfo, autocommit=True), str(config["NAME"])


def get(connection: http.client.HTTPConnection, q: str) -> tuple[float, int]:
    started = time.perf_counter()
    connection.request("GET", "/api/v1/items?" + urllib.parse.urlencode({"q": q}))
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"q={q!r}: {response.status} {body[:300]!r}")
    return elapsed, json.loads(body)["count"]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


def wait_for(port: int) -> None:
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server never answered")


def run(database: str, args: argparse.Namespace) -> dict[str, Any]:
    label = "sqlite" if database == "sqlite" else "postgresql"
    var = Path(tempfile.mkdtemp(prefix="wangban-bench-catalog-"))
    env = {**os.environ, "WANGBAN_DEMO": "1", "WANGBAN_VAR_DIR": str(var)}
    env["LOG_LEVEL"] = "WARNING"
    admin = None
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{var / 'catalog.sqlite3'}"
    else:
        admin, name = postgres_admin(database)
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name} exists: name one the benchmark may create and drop")
        admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = database
    server = None
    try:
        child = subprocess.run(  # noqa: S603 - this very script
            [sys.executable, __file__, "--child", f"--items={args.items}", f"--seed={args.seed}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise SystemExit(f"{label}: generating the catalogue failed\n{child.stderr}")
        made = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"[{label}] {args.items} items inserted in {made['insert_seconds']} s, "
            f"indexed in {made['index_seconds']} s",
            flush=True,
        )
        port = free_port()
        granian = (
            f"-m granian --interface wsgi --host 127.0.0.1 --port {port} --workers 2 "
            "--blocking-threads 4 --no-ws --log-level warning config.wsgi:application"
        )
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, *granian.split()], cwd=ROOT, env=env, start_new_session=True
        )
        wait_for(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cold, _ = get(connection, "道路运输")
        for _ in range(9):
            get(connection, "食品经营许可")
        queries = make_queries(args.queries, args.seed, made["names"])
        samples, slowest, empty = [], [], 0
        for kind, q in queries:
            elapsed, count = get(connection, q)
            samples.append(elapsed)
            slowest.append((elapsed, kind, q, count))
            empty += count == 0
        figures = {
            "database": label,
            "items": args.items,
            "queries": len(samples),
            "queries_without_results": empty,
            **percentiles(samples),
            "cold_ms": round(cold * 1000, 1),
            "insert_seconds": made["insert_seconds"],
            "index_seconds": made["index_seconds"],
        }
        print(
            f"[{label}] {len(samples)} queries ({empty} without results): "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms; "
            f"first request of a cold worker {figures['cold_ms']} ms",
            flush=True,
        )
        for elapsed, kind, q, count in sorted(slowest, reverse=True)[:5]:
            print(f"[{label}]   slowest: {elapsed * 1000:6.1f} ms  {kind:14} {q!r} ({count})")
        return figures
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=15)
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--database-url",
        action="append",
        help="'sqlite' (the default) or a PostgreSQL URL naming a database to create and drop",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.child:
        print(json.dumps(make_catalogue(args.items, args.seed), ensure_ascii=False))
        return
    results = [run(database, args) for database in args.database_url or ["sqlite"]]
    summary: dict[str, Any] = {"benchmark": "catalog_search", "unit": "ms"}
    for figures in results:
        database = figures.pop("database")
        summary.update({f"{database}_{key}": value for key, value in figures.items()})
    summary["target_p95_ms"] = TARGET_P95_MS
    summary["ok"] = all(figures["p95_ms"] < TARGET_P95_MS for figures in results)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
