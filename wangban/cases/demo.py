"""The demo city's applications (办件): a few cases in every state of applying and acceptance
(DESIGN.md §6), across several items and departments.

Every case is made by the real actions of `wangban.cases.actions`, as the people of the demo
city would make them: applicants create, fill in, attach and submit; window clerks register
walk-ins, sign, correct, accept, reject and terminate; the system deems acceptance. Their
materials are small real files made here (`demo_pdf`, `demo_png`): a one-page PDF and a PNG
photo or scan.

Two states need the past: termination (the correction answer must be overdue) and deemed
acceptance (five working days must have passed without an answer). Those two stories run
through the same actions under a shifted clock (`_clock_at`, documented there); nothing is
inserted or moved by hand.

Idempotent: a demo case is recognised by its item, applicant, legal person and channel, which
no two demo cases share; one that exists is left alone, so loading twice creates nothing.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from wangban.accounts.demo import APPLICANTS, credit_code, resident_id
from wangban.accounts.models import LegalPerson, User
from wangban.cases import actions, clock
from wangban.cases.choices import CaseState, Channel
from wangban.cases.models import Case
from wangban.catalog.models import ServiceItem
from wangban.core.calendar import active_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPANY_CREDIT_CODE = credit_code(101, kind="91")  # 示范市顺达道路运输有限公司 (accounts demo)
COMPANY_NAME = "示范市顺达道路运输有限公司"
SHOP_CREDIT_CODE = credit_code(205, kind="92")  # 个体工商户

# Kinds of demo material: a one-page PDF, a PNG photo, a PNG scan, or paper at the window.
PDF = "pdf"
PHOTO = "photo"
SCAN = "scan"
PAPER = "paper"

# The steps a demo case takes after it is created, in order (see `_take_step`).
SUBMIT = "submit"
SIGN_IN = "sign_in"
CORRECT = "correct"
RESUBMIT = "resubmit"
ACCEPT = "accept"
DEEM_ACCEPT = "deem_accept"
REJECT = "reject"
TERMINATE = "terminate"
WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Upload:
    """One material handed in: `code` of the item's material, its kind, a note for paper."""

    code: str
    kind: str = PDF
    note: str = ""


@dataclass(frozen=True)
class DemoCase:
    """One demo application: who applies for which item, through which channel, with what
    form and materials, and the steps it then takes (`path`)."""

    item_code: str
    applicant: str  # user name; for a legal person's case the owner or agent who files it
    form: dict[str, Any]
    materials: tuple[Upload, ...]
    path: tuple[str, ...] = ()
    clerk: str = ""  # the accepting department's window clerk who acts on it
    channel: str = Channel.ONLINE
    legal_person: str = ""  # credit code of the legal person it is filed for
    corrections: tuple[tuple[str, str], ...] = ()  # (material code, reason) of the notice
    reason: str = ""  # of the rejection, termination or withdrawal

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.item_code, self.applicant, self.legal_person, self.channel)


# --- the people's form answers ------------------------------------------------------------


@cache
def _people() -> dict[str, tuple[str, str, str]]:
    """user name → (real name, identity number, phone) of the accounts demo's applicants."""
    return {
        username: (real_name, resident_id(birth, serial), phone)
        for username, real_name, birth, serial, phone in APPLICANTS
    }


def _person(username: str) -> dict[str, str]:
    """The fields every personal form starts with, filled from the applicant's identity."""
    name, id_number, phone = _people()[username]
    return {"applicant_name": name, "id_number": id_number, "phone": phone}


def _days_from_today(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


PROMISE = {"promise": True}


def demo_cases() -> list[DemoCase]:
    """The demo applications, in the order they are made (fresh each call: form dates are
    relative to today)."""
    zhang = _people()["applicant"]
    wang = _people()["wangwu"]
    return [
        # 网上草稿：申请表填了一半，已上传照片
        DemoCase(
            "320100-RSJ-GG-0002-00",  # 社会保障卡申领, 人社局 (一窗受理)
            "applicant",
            {**_person("applicant"), "bank": "中国建设银行"},
            (Upload("M02", PHOTO),),
        ),
        # 网上草稿：尚未上传材料
        DemoCase(
            "000117003000-320100000000-000-11320100MA0000011L-1-00",  # 网约车运输证, 交通局
            "wangwu",
            {
                "owner_type": "个人",
                "owner_name": wang[0],
                "owner_certificate_number": wang[1],
                "phone": wang[2],
                "plate_number": "苏A8W2K6",
            },
            (),
        ),
        # 综合窗口登记的草稿（窗口草稿）
        DemoCase(
            "320100-RSJ-JF-0001-00",  # 失业保险金申领, 人社局 (一窗受理)
            "wangwu",
            {
                **_person("wangwu"),
                "last_employer": "示范市城东百货有限公司",
                "separation_date": _days_from_today(-30),
            },
            (Upload("M01", PAPER, "居民身份证原件已当场核验"),),
            clerk="centre_clerk",
            channel=Channel.WINDOW,
        ),
        # 已提交，待签收
        DemoCase(
            "320100-SCJGJ-XK-0002-00",  # 个体工商户设立登记, 市场监管局 (一窗受理)
            "wangwu",
            {
                "operator_name": wang[0],
                "id_number": wang[1],
                "phone": wang[2],
                "trade_name": "示范市城东区王五便利店",
                "organisation_form": "个人经营",
                "business_address": "示范市城东区长安路 66 号 1 层",
                "business_scope": "日用百货销售；文具用品零售",
                "capital": 10,
                "employees": 2,
                **PROMISE,
            },
            (Upload("M01"), Upload("M02", SCAN), Upload("M03")),
            path=(SUBMIT,),
        ),
        # 已提交并签收，待预审
        DemoCase(
            "320100-RSJ-JF-0001-00",  # 失业保险金申领
            "applicant",
            {
                **_person("applicant"),
                "last_employer": "示范市东湖物业管理有限公司",
                "separation_date": _days_from_today(-20),
                "separation_reason": "用人单位解除劳动合同",
                "receive_method": "社会保障卡金融账户",
                **PROMISE,
            },
            (Upload("M01", SCAN), Upload("M02")),
            path=(SUBMIT, SIGN_IN),
            clerk="centre_clerk",
        ),
        # 一次性告知补正两项材料，待申请人补正
        DemoCase(
            "320100-WJW-XK-0002-00",  # 医师执业注册, 卫健委 (一窗受理)
            "applicant",
            {
                **_person("applicant"),
                "qualification_number": "200832110320100012345",
                "qualification_level": "执业医师",
                "practice_category": "临床",
                "practice_scope": "内科专业",
                "institution_name": "示范市城东康复医院",
                **PROMISE,
            },
            (
                Upload("M01"),
                Upload("M02", SCAN),
                Upload("M03", SCAN),
                Upload("M04"),
                Upload("M05"),
                Upload("M06", PHOTO),
            ),
            path=(SUBMIT, SIGN_IN, CORRECT),
            clerk="centre_clerk",
            corrections=(
                ("M03", "医师资格证书扫描件不清晰，证书编码无法辨认，请重新上传清晰的彩色扫描件。"),
                ("M05", "健康体检证明出具已超过 6 个月，请提交近 6 个月内的体检证明。"),
            ),
        ),
        # 补正后重新提交（第 2 次提交），待签收
        DemoCase(
            "320100-RSJ-GG-0001-00",  # 就业失业登记
            "wangwu",
            {
                **_person("wangwu"),
                "registration_type": "失业登记",
                "residence_address": "示范市城东区东湖路 28 号",
                "education": "高中、中专或技校",
                "job_intention": "仓储物流",
                **PROMISE,
            },
            (Upload("M01", SCAN), Upload("M02"), Upload("M04")),
            path=(SUBMIT, SIGN_IN, CORRECT, RESUBMIT),
            clerk="centre_clerk",
            corrections=(("M02", "就业失业登记表缺少本人签名，请签名后重新上传。"),),
        ),
        # 企业经办人代办，政务服务中心综合窗口受理（一窗受理）
        DemoCase(
            "000117001000-320100000000-000-11320100MA0000011L-1-00",  # 道路旅客运输经营, 交通局
            "agent",
            {
                "company_name": COMPANY_NAME,
                "credit_code": COMPANY_CREDIT_CODE,
                "legal_representative": zhang[0],
                "phone": _people()["agent"][2],
                "address": "示范市城东区物流园 8 号",
                "business_scope": ["班车客运", "包车客运"],
                "vehicles": 12,
                "seats": 540,
                "drivers": 15,
                "parking_address": "示范市城东区物流园 8 号停车场",
                "parking_area": 3600,
                "safety_manager": "李四",
                "route_plan": "示范市客运站—城东区—邻江市汽车站，日发 6 班",
                **PROMISE,
            },
            tuple(Upload(f"M0{n}") for n in (1, 2, 3, 4, 5, 6, 8)),
            path=(SUBMIT, ACCEPT),
            clerk="centre_clerk",
            legal_person=COMPANY_CREDIT_CODE,
        ),
        # 签收后受理（一窗受理）
        DemoCase(
            "320100-RSJ-GG-0002-00",  # 社会保障卡申领
            "wangwu",
            {
                **_person("wangwu"),
                "bank": "中国工商银行",
                "delivery": "邮寄到家",
                "mailing_address": "示范市城东区东湖路 28 号",
                **PROMISE,
            },
            (Upload("M01", SCAN), Upload("M02", PHOTO)),
            path=(SUBMIT, SIGN_IN, ACCEPT),
            clerk="centre_clerk",
        ),
        # 教育局窗口受理
        DemoCase(
            "320100-JYJ-XK-0002-00",  # 高级中学教师资格认定, 教育局 (本部门受理)
            "agent",
            {
                **_person("agent"),
                "education": "硕士研究生",
                "graduate_school": "示范师范大学",
                "major": "汉语言文学",
                "subject": "语文",
                "exam_certificate_number": "2026320100012345",
                "putonghua_level": "二级甲等",
                **PROMISE,
            },
            tuple(Upload(f"M0{n}", SCAN if n == 2 else PDF) for n in range(1, 8)),
            path=(SUBMIT, ACCEPT),
            clerk="clerk_d10",
        ),
        # 公安局窗口登记，收取纸质材料，当场受理
        DemoCase(
            "320100-GAJ-QR-0002-00",  # 居民身份证换领, 公安局 (本部门受理)
            "wangwu",
            {
                **_person("wangwu"),
                "reason": "有效期满",
                "appointment_date": timezone.localdate().isoformat(),
                "delivery": "窗口领取",
                **PROMISE,
            },
            (
                Upload("M01"),
                Upload("M02", SCAN),
                Upload("M03", PAPER, "原居民身份证已当场查验并收回"),
            ),
            path=(SUBMIT, ACCEPT),
            clerk="clerk_d05",
            channel=Channel.WINDOW,
        ),
        # 五个工作日内无人答复，系统依法视为受理
        DemoCase(
            "320100-ZRZYJ-QR-0001-00",  # 转移登记, 自然资源和规划局 (本部门受理)
            "applicant",
            {
                "seller_name": wang[0],
                "seller_id": wang[1],
                "buyer_name": zhang[0],
                "buyer_id": zhang[1],
                "property_address": "示范市城东区东湖路 12 号 3 幢 502 室",
                "certificate_number": "苏（2024）示范市不动产权第0012345号",
                "building_area": 89.5,
                "usage": "住宅",
                "transfer_reason": "买卖",
                "price": 168,
                "phone": zhang[2],
                **PROMISE,
            },
            tuple(Upload(f"M0{n}") for n in range(1, 6)),
            path=(SUBMIT, DEEM_ACCEPT),
        ),
        # 不予受理，写明理由
        DemoCase(
            "320100-SCJGJ-XK-0001-00",  # 食品经营许可（新办）, 市场监管局 (一窗受理)
            "wangwu",
            {
                "company_name": "示范市城东区王五便利店",
                "credit_code": SHOP_CREDIT_CODE,
                "legal_representative": wang[0],
                "phone": wang[2],
                "business_address": "邻江市江北区滨江路 18 号",
                "operator_type": "食品销售经营者",
                "business_items": ["散装食品销售（含冷藏冷冻食品）"],
                "area": 45,
                "safety_manager": wang[0],
                "online_sales": False,
                **PROMISE,
            },
            (Upload("M01"), Upload("M02"), Upload("M03", SCAN), Upload("M04"), Upload("M05")),
            path=(SUBMIT, SIGN_IN, REJECT),
            clerk="centre_clerk",
            reason=(
                "申请的经营场所位于邻江市江北区，不在本市行政区域内，本申请事项依法不属于本机关"
                "职权范围（《中华人民共和国行政许可法》第三十二条第一款第二项）。请向经营场所"
                "所在地的邻江市江北区市场监督管理局提出申请。"
            ),
        ),
        # 企业负责人申请；补正逾期未答复，终止办理
        DemoCase(
            "320100-SCJGJ-XK-0004-00",  # 特种设备使用登记
            "applicant",
            {
                "company_name": COMPANY_NAME,
                "credit_code": COMPANY_CREDIT_CODE,
                "address": "示范市城东区物流园 8 号",
                "device_category": "起重机械",
                "device_code": "4110320100202600012",
                "device_location": "物流园 8 号仓库",
                "manufacturer": "示范重工机械有限公司",
                "start_use_date": _days_from_today(-40),
                "safety_manager": "李四",
                "phone": zhang[2],
                **PROMISE,
            },
            (Upload("M01"), Upload("M02"), Upload("M03")),
            path=(SUBMIT, SIGN_IN, CORRECT, TERMINATE),
            clerk="centre_clerk",
            legal_person=COMPANY_CREDIT_CODE,
            corrections=(
                ("M03", "产品合格证缺少产品数据表，请补充完整后重新上传。"),
                ("M04", "起重机械须提交监督检验机构出具的监督检验证明。"),
            ),
            reason="申请人在补正期限内未提交补正材料，终止办理。",
        ),
        # 申请人撤回
        DemoCase(
            "320100-GAJ-GG-0001-00",  # 无犯罪记录证明开具, 公安局
            "applicant",
            {**_person("applicant"), "purpose": "就业", "delivery": "电子证明", **PROMISE},
            (Upload("M01"), Upload("M02", SCAN)),
            path=(SUBMIT, WITHDRAW),
            reason="用人单位已不再要求提供该证明，申请撤回。",
        ),
    ]


# --- materials made in code ----------------------------------------------------------------


def _pdf_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def demo_pdf(*lines: str) -> bytes:
    """A one-page A4 PDF that shows `lines` (ASCII) in Helvetica: header, catalogue, page
    tree, page, font and content stream, and a cross-reference table with exact offsets."""
    text = " ".join(f"({_pdf_text(line)}) Tj T*" for line in lines)
    stream = f"BT /F1 14 Tf 20 TL 72 770 Td {text} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@cache
def demo_png(kind: str = PHOTO) -> bytes:
    """A small PNG: a passport-style photo (90×120, head and shoulders on white) or the scan
    of a card (240×150, a photo box and lines of text)."""
    if kind == PHOTO:
        image = Image.new("RGB", (90, 120), "white")
        draw = ImageDraw.Draw(image)
        draw.ellipse((28, 18, 62, 60), fill=(120, 120, 128))
        draw.rounded_rectangle((12, 66, 78, 130), radius=24, fill=(60, 70, 90))
    else:
        image = Image.new("RGB", (240, 150), (232, 240, 250))
        draw = ImageDraw.Draw(image)
        draw.rectangle((160, 24, 220, 100), fill=(200, 205, 215))
        for row in range(5):
            draw.rectangle((20, 28 + row * 18, 140 - row * 12, 34 + row * 18), fill=(90, 96, 110))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _upload(spec: DemoCase, upload: Upload, name: str, *, corrected: bool = False) -> ContentFile:
    if upload.kind == PDF:
        lines = ["wangban demo city - sample material", spec.item_code, upload.code]
        content = demo_pdf(*lines, "corrected" if corrected else "original")
        return ContentFile(content, name=f"{name}.pdf")
    return ContentFile(demo_png(upload.kind), name=f"{name}.png")


# --- the shifted clock of the two stories that need the past -------------------------------


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """Demo only: run the real actions as if it were `moment` (in the past).

    `time_machine` is a development dependency, so the demo cannot rely on it; instead, for
    the block, `django.utils.timezone.now` — the clock every case action reads, through
    `timezone.now()` and `timezone.localdate()` — runs `moment - now` behind. Everything the
    actions write then agrees: the case's dates and deadlines, its timeline, correction
    notice, written notices, and the messages to the applicant. Audit events keep the real
    time of writing (their default is Django's own `now`, taken at import), as an audit
    trail should; so do the items, published when the catalogue demo loaded. The loader runs
    in its own command process, so no request sees the shift; the real clock is back when
    the block ends, also on error."""
    real_now = timezone.now
    offset = moment - real_now()
    if offset > timedelta(0):
        raise ValueError(f"the demo clock only goes back, not to {moment.isoformat()}")

    def shifted_now() -> datetime:
        return real_now() + offset

    with mock.patch.object(timezone, "now", shifted_now):
        yield


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _working_days_before(day: date, n: int) -> date:
    """The n-th working day before `day`."""
    calendar = active_calendar()
    found = 0
    while found < n:
        day -= timedelta(days=1)
        found += calendar.is_working_day(day)
    return day


def _timeline(spec: DemoCase, today: date) -> dict[str, datetime]:
    """When each step of a story that needs the past happens; {} for the others (now).

    - Termination: submitted, signed and sent a correction notice on a working day S so long
      ago that the answer was due (WANGBAN_CORRECTION_ANSWER_WORKING_DAYS after S) at least
      two working days ago; the clerk terminates on the first working day after the due day.
    - Deemed acceptance: submitted on a working day S whose five working days ended at least
      a day ago; the nightly job accepts it at 01:00 the day after (行政许可法第三十二条)."""
    if TERMINATE in spec.path:
        limit = actions.correction_answer_limit()
        for back in range(2, 400):
            submitted = _working_days_before(today, back)
            terminated = clock.add_working_days(clock.correction_due_on(submitted, limit), 1)
            if terminated <= _working_days_before(today, 2):
                break
        return {
            "create": _at(submitted, 9, 20),
            SUBMIT: _at(submitted, 9, 40),
            SIGN_IN: _at(submitted, 10, 5),
            CORRECT: _at(submitted, 14, 30),
            TERMINATE: _at(terminated, 10, 0),
        }
    if DEEM_ACCEPT in spec.path:
        for back in range(6, 400):
            submitted = _working_days_before(today, back)
            deemed = clock.deemed_acceptance_due(submitted) + timedelta(days=1)
            if deemed < today:
                break
        return {
            "create": _at(submitted, 10, 0),
            SUBMIT: _at(submitted, 10, 15),
            DEEM_ACCEPT: _at(deemed, 1, 0),
        }
    return {}


def _when(timeline: dict[str, datetime], step: str) -> AbstractContextManager[None]:
    """The clock `step` runs under: shifted to its moment in the timeline, else the real one."""
    moment = timeline.get(step)
    return _clock_at(moment) if moment is not None else nullcontext()


# --- making the cases ----------------------------------------------------------------------


@dataclass
class _Cast:
    """Who and what the demo cases need, found by their natural keys."""

    users: dict[str, User]
    legal_persons: dict[str, LegalPerson]


def _cast(specs: Sequence[DemoCase]) -> _Cast:
    usernames = {spec.applicant for spec in specs} | {spec.clerk for spec in specs if spec.clerk}
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    if missing := sorted(usernames - set(users)):
        raise RuntimeError(f"演示城市缺少这些账号：{'、'.join(missing)}，请先载入账号演示数据。")
    codes = {spec.item_code for spec in specs}
    found = set(ServiceItem.objects.filter(code__in=codes).values_list("code", flat=True))
    if missing := sorted(codes - found):
        raise RuntimeError(f"演示城市缺少这些事项：{'、'.join(missing)}，请先载入事项演示数据。")
    credit_codes = {spec.legal_person for spec in specs if spec.legal_person}
    legal_persons = {
        person.credit_code: person
        for person in LegalPerson.objects.filter(credit_code__in=credit_codes)
    }
    if missing := sorted(credit_codes - set(legal_persons)):
        raise RuntimeError(f"演示城市缺少这些企业：{'、'.join(missing)}，请先载入账号演示数据。")
    return _Cast(users, legal_persons)


def _existing(spec: DemoCase, cast: _Cast) -> Case | None:
    return Case.objects.filter(
        item__code=spec.item_code,
        applicant=cast.users[spec.applicant],
        on_behalf_of=cast.legal_persons.get(spec.legal_person),
        channel=spec.channel,
    ).first()


def _hand_in(case: Case, spec: DemoCase, actor: User, uploads: Sequence[Upload]) -> None:
    """Attach each upload as a file, or (at a window) mark it handed over on paper."""
    names = dict(case.version.materials.values_list("code", "name"))
    corrected = case.state == CaseState.CORRECTION_REQUESTED
    for upload in uploads:
        if upload.kind == PAPER:
            actions.do_mark_paper_material(
                case, actor=actor, material_code=upload.code, note=upload.note
            )
        else:
            file = _upload(spec, upload, names[upload.code], corrected=corrected)
            actions.do_attach_material(case, actor=actor, material_code=upload.code, upload=file)


def _take_step(case: Case, spec: DemoCase, step: str, cast: _Cast) -> Case:
    """One step of the case's path, by the action and the person that take it for real."""
    applicant = cast.users[spec.applicant]
    clerk = cast.users.get(spec.clerk)
    # At a window the clerk hands in for the applicant (大安办法第十七、十九条).
    filer = clerk if spec.channel == Channel.WINDOW and clerk is not None else applicant
    if step == SUBMIT:
        return actions.do_submit(case, actor=filer)
    if step == SIGN_IN:
        return actions.do_sign_in(case, actor=clerk)
    if step == CORRECT:
        items = [{"material_code": code, "reason": why} for code, why in spec.corrections]
        actions.do_request_correction(case, actor=clerk, items=items)
        return Case.objects.get(pk=case.pk)
    if step == RESUBMIT:
        kinds = {upload.code: upload.kind for upload in spec.materials}
        answers = [Upload(code, kinds.get(code, PDF)) for code, _ in spec.corrections]
        _hand_in(case, spec, filer, answers)
        return actions.do_resubmit(case, actor=filer)
    if step == ACCEPT:
        return actions.do_accept(case, actor=clerk)
    if step == DEEM_ACCEPT:
        # The nightly job (`manage.py deem_acceptance`) of that day: it accepts every case
        # then due, which among the demo's is this one alone.
        actions.do_deem_accept_due(timezone.localdate())
        return Case.objects.get(pk=case.pk)
    if step == REJECT:
        return actions.do_reject(case, actor=clerk, reason=spec.reason)
    if step == TERMINATE:
        return actions.do_terminate(case, actor=clerk, reason=spec.reason)
    if step == WITHDRAW:
        return actions.do_withdraw(case, actor=applicant, reason=spec.reason)
    raise ValueError(f"unknown demo step {step!r}")


def _make(spec: DemoCase, cast: _Cast, today: date) -> Case:
    timeline = _timeline(spec, today)
    applicant = cast.users[spec.applicant]
    window = spec.channel == Channel.WINDOW
    creator = cast.users[spec.clerk] if window else applicant
    with _when(timeline, "create"):
        case = actions.do_create_case(
            actor=creator,
            item_code=spec.item_code,
            form=spec.form,
            on_behalf_of=cast.legal_persons.get(spec.legal_person),
            channel=spec.channel,
            applicant=applicant if window else None,
        )
        _hand_in(case, spec, creator, spec.materials)
    for step in spec.path:
        with _when(timeline, step):
            case = _take_step(case, spec, step, cast)
    return case


def _summary(cases: Sequence[Case]) -> str:
    states = Counter(case.state for case in cases)
    parts = [f"{state.label} {states[state]}" for state in CaseState if states[state]]
    return f"{len(cases)} 件办件（{'、'.join(parts)}）"


@transaction.atomic
def load_demo_cases() -> str:
    """Make every demo case that does not exist yet; returns a summary of all of them."""
    specs = demo_cases()
    cast = _cast(specs)
    today = timezone.localdate()
    cases = [_existing(spec, cast) or _make(spec, cast, today) for spec in specs]
    return _summary(cases)
