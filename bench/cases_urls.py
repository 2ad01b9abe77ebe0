"""URLs of bench/cases.py's server: the product's URLs, plus the baseline the lifecycles are
compared with.

The baseline is the least a server can do for one lifecycle step: check the same bearer
token with the same query as the API (`user_for_token`), then in one transaction lock the
case row, update it and insert as many rows as the real step inserts, with raw SQL (the
counts are measured on a real lifecycle by the benchmark and passed as `?inserts=&updates=`).
A material upload also writes its bytes to a file, as the real one does. Nothing else: no
DRF, no validation, no audit chain, no outbox logic.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from wangban.api.authentication import token_from_header, user_for_token

TABLES = """
CREATE TABLE IF NOT EXISTS bench_baseline_case (
    id varchar(32) PRIMARY KEY, user_id bigint NOT NULL, state varchar(24) NOT NULL,
    form jsonb NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS bench_baseline_row (
    id bigserial PRIMARY KEY, case_id varchar(32) NOT NULL, kind varchar(24) NOT NULL,
    data jsonb NOT NULL, at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS bench_baseline_row_case ON bench_baseline_row (case_id);
"""


@csrf_exempt
def baseline_step(request: HttpRequest, step: str) -> HttpResponse:
    raw = token_from_header(request)
    found = user_for_token(raw) if raw else None
    if found is None:
        return JsonResponse({"error": {"code": "not_authenticated"}}, status=401)
    user, _ = found
    inserts = int(request.GET.get("inserts", "1"))
    updates = int(request.GET.get("updates", "1"))
    case_id = request.GET.get("case") or secrets.token_hex(10)
    body = request.body
    with transaction.atomic(), connection.cursor() as cursor:
        if step == "create":
            cursor.execute(
                "INSERT INTO bench_baseline_case (id, user_id, state, form, updated_at) "
                "VALUES (%s, %s, 'draft', %s, now())",
                [case_id, user.pk, body.decode() or "{}"],
            )
            updates -= 1
        else:
            cursor.execute(
                "SELECT state FROM bench_baseline_case WHERE id = %s FOR UPDATE", [case_id]
            )
            if cursor.fetchone() is None:
                return JsonResponse({"error": {"code": "not_found"}}, status=404)
        for _ in range(max(0, updates)):
            cursor.execute(
                "UPDATE bench_baseline_case SET state = %s, updated_at = now() WHERE id = %s",
                [step[:24], case_id],
            )
        data = json.dumps({"step": step, "user": user.pk})
        for _ in range(max(0, inserts - (step == "create"))):
            cursor.execute(
                "INSERT INTO bench_baseline_row (case_id, kind, data, at) "
                "VALUES (%s, %s, %s, now())",
                [case_id, step[:24], data],
            )
        if step == "materials":
            folder = Path(settings.MEDIA_ROOT) / "bench-baseline"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{case_id}-{secrets.token_hex(4)}").write_bytes(body)
    return JsonResponse({"id": case_id, "state": step}, status=201 if step == "create" else 200)


urlpatterns = [
    path("bench-baseline/<str:step>", baseline_step),
    path("", include("config.urls")),
]
