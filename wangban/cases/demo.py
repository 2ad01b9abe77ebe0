"""The demo city's applications (办件): a few cases in every state (DESIGN.md §6) — applying
and acceptance (issue 7), review and decision (issue 8) — across several items and
departments.

Every case is made by the real actions of `wangban.cases.actions` and `wangban.cases.review`,
as the people of the demo city would make them: applicants create, fill in, attach and
submit; window clerks register walk-ins, sign, correct, accept, reject and terminate; the
system deems acceptance; handlers, reviewers and approvers pass steps on with their opinion,
send a case back a step, suspend it for a special procedure and resume it, extend its time
limit and decide; the window clerk records how the result was delivered. Their materials are
small real files made here (`demo_pdf`, `demo_png`): a one-page PDF and a PNG photo or scan.

Some states need the past: termination (the correction answer must be overdue), deemed
acceptance (five working days must have passed without an answer), and every case in review
or decided (filed `filed_ago` working days ago, each review step on its own day, so that the
lights are those of a real working week: one case overdue, one due soon, steps late). Those
stories run through the same actions under a shifted clock (`_clock_at`, documented there);
nothing is inserted or moved by hand. The decisions' documents (准予/不予许可决定书) are
written `pending` by `decide` like every notice and rendered and sealed by the task worker
after the loader's commit (`make run` starts it), with the seals the certificates demo made
just before; the one delivered online is rendered by the loader before its delivery, as
online delivery needs the sealed file.

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
from wangban.cases import actions, clock, documents, review
from wangban.cases.choices import CaseState, Channel, DecisionOutcome, Delivery, DocumentState
from wangban.cases.models import Case
from wangban.catalog.choices import SpecialProcedure
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
CORRECT_AGAIN = "correct_again"  # a second notice, against the one-time rule, with its reason
ACCEPT = "accept"
DEEM_ACCEPT = "deem_accept"
REJECT = "reject"
TERMINATE = "terminate"
WITHDRAW = "withdraw"
# The steps of review and decision (`Act.step`, see `_take_act`).
APPROVE_STEP = "approve_step"
RETURN_STEP = "return_step"
SUSPEND = "suspend"
RESUME = "resume"
EXTEND = "extend"
DECIDE = "decide"
COMPLETE = "complete"


@dataclass(frozen=True)
class Upload:
    """One material handed in: `code` of the item's material, its kind, a note for paper."""

    code: str
    kind: str = PDF
    note: str = ""


@dataclass(frozen=True)
class Act:
    """One step of review or decision (issue 8), taken by the staff member `actor` on the
    working day `ago` working days before the reference day (`_demo_day`) at `hour`:minute.
    `text` is the opinion (approve), the reason (return, suspend, extend, deny) or the note
    (resume); the other fields are the action's own."""

    step: str
    actor: str
    ago: int
    hour: int
    text: str = ""
    minute: int = 0
    procedure: str = ""  # suspend: a SpecialProcedure code
    working_days: int = 0  # extend
    outcome: str = ""  # decide: a DecisionOutcome
    legal_basis: str = ""  # decide: empty for the item's own
    delivery: str = ""  # complete: a Delivery
    tracking_no: str = ""  # complete by mail


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
    # CORRECT_AGAIN: the second notice's items, and why it was issued again
    second_corrections: tuple[tuple[str, str], ...] = ()
    repeat_reason: str = ""
    reason: str = ""  # of the rejection, termination or withdrawal
    # Created, submitted and accepted this many working days before the reference day
    # (`_demo_day`); 0: now. Then reviewed and decided by `review`, step by step.
    filed_ago: int = 0
    review: tuple[Act, ...] = ()

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
    relative to today). The cases in review come last: the deemed-acceptance job of the
    applying stories (in the past) must not find them submitted."""
    return [*_applying_cases(), *_review_cases()]


def _applying_cases() -> list[DemoCase]:
    """Applying and acceptance (issue 7): drafts, submissions, corrections, acceptance,
    rejection, termination and withdrawal."""
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
        # 再次补正告知（违反一次性告知，写明理由，供督办查看）
        DemoCase(
            "320100-RSJ-GG-0001-00",  # 就业失业登记
            "applicant",
            {
                **_person("applicant"),
                "registration_type": "失业登记",
                "residence_address": "示范市城西区西湖路 6 号",
                "education": "大学本科",
                "job_intention": "财务会计",
                **PROMISE,
            },
            (Upload("M01", SCAN), Upload("M02"), Upload("M04")),
            path=(SUBMIT, SIGN_IN, CORRECT, RESUBMIT, SIGN_IN, CORRECT_AGAIN),
            clerk="centre_clerk",
            corrections=(("M04", "终止或者解除劳动关系证明未加盖原单位公章，请补盖后重新上传。"),),
            second_corrections=(
                ("M01", "居民身份证已过有效期，请提交有效期内的居民身份证或社会保障卡。"),
            ),
            repeat_reason="首次审查时遗漏了身份证有效期的核对，现一并告知；已向科室负责人说明。",
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


# The staff of review and decision: 交通运输局 (D01) and 市场监督管理局 (D02), whose
# applications the service centre's comprehensive window accepts and delivers (一窗受理).
D01_HANDLER, D01_REVIEWER, D01_APPROVER = "handler", "reviewer", "approver"
D02_HANDLER, D02_REVIEWER, D02_APPROVER = "handler_d02", "reviewer_d02", "approver_d02"
CENTRE_CLERK = "centre_clerk"
PHARMACY_CREDIT_CODE = credit_code(207, kind="91")  # 示范市康宁大药房有限公司 (in the form only)


def _review_cases() -> list[DemoCase]:
    """Review and decision (issue 8): in review at a later step, suspended for a special
    procedure, extended, returned a step, approved, denied, and completed by each way of
    delivery; in 交通运输局 and 市场监督管理局, filed on past working days so that one case
    is overdue (red), one due soon (blue) and some steps late. The company's cases in the
    past are filed by its owner (张三): its agent's grant starts on the day the accounts
    demo is loaded, so 李四 could not have acted for it then."""
    zhang = _people()["applicant"]
    wang = _people()["wangwu"]
    li = _people()["agent"]
    return [
        # 审查中：承办人提出审查意见后转入审核；办件蓝灯（即将到期），审核环节红灯（超时）
        DemoCase(
            "000117004000-320100000000-000-11320100MA0000011L-1-00",  # 公路超限运输许可, 交通局
            "applicant",
            {
                "carrier_name": COMPANY_NAME,
                "credit_code": COMPANY_CREDIT_CODE,
                "permit_number": "苏交运管许可示字320100000123号",
                "phone": zhang[2],
                "cargo_name": "220kV 电力变压器（SFZ11-180000/220）",
                "cargo_weight": 118,
                "plate_number": "苏A6T3C8",
                "axle_count": 12,
                "total_length": 26.5,
                "total_width": 3.6,
                "total_height": 4.3,
                "total_mass": 168,
                "origin": "示范市城东区物流园 8 号",
                "destination": "示范市江北 220kV 变电站",
                "route": "物流园路—G328 国道—东湖大桥—江北大道—变电站进站道路",
                "start_date": _days_from_today(7),
                "end_date": _days_from_today(8),
                **PROMISE,
            },
            tuple(Upload(f"M0{n}", SCAN if n in (3, 4) else PDF) for n in range(1, 7)),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            legal_person=COMPANY_CREDIT_CODE,
            filed_ago=4,
            review=(
                Act(
                    APPROVE_STEP,
                    D01_HANDLER,
                    ago=2,
                    hour=15,
                    text=(
                        "申请材料齐全。经对拟通行路线现场勘查，沿线东湖大桥等 3 座桥梁承载能力"
                        "满足本次运输要求，建议准予通行，夜间 22:00 至次日 6:00 限速通行。"
                    ),
                ),
            ),
        ),
        # 已挂起：承办人启动现场勘查（特别程序），办理时限暂停计算
        DemoCase(
            "320100-SCJGJ-XK-0001-00",  # 食品经营许可（新办）, 市场监管局 (一窗受理)
            "wangwu",
            {
                "company_name": "示范市城东区王五便利店",
                "credit_code": SHOP_CREDIT_CODE,
                "legal_representative": wang[0],
                "phone": wang[2],
                "business_address": "示范市城东区长安路 66 号 1 层",
                "operator_type": "食品销售经营者",
                "business_items": ["散装食品销售（含冷藏冷冻食品）"],
                "area": 45,
                "safety_manager": wang[0],
                "online_sales": False,
                **PROMISE,
            },
            (Upload("M01"), Upload("M02"), Upload("M03", SCAN), Upload("M04"), Upload("M05")),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            channel=Channel.WINDOW,
            filed_ago=2,
            review=(
                Act(
                    SUSPEND,
                    D02_HANDLER,
                    ago=1,
                    hour=10,
                    procedure=SpecialProcedure.SITE_SURVEY,
                    text=(
                        "需对经营场所进行现场核查，核实冷藏冷冻设施、食品贮存区域和从业人员健康"
                        "证明是否符合要求，已与申请人约定核查时间。"
                    ),
                ),
            ),
        ),
        # 审查中：经批准延长办理期限 5 个工作日，审核通过后转入审批环节
        DemoCase(
            "000117001000-320100000000-000-11320100MA0000011L-1-00",  # 道路旅客运输经营, 交通局
            "applicant",
            {
                "company_name": COMPANY_NAME,
                "credit_code": COMPANY_CREDIT_CODE,
                "legal_representative": zhang[0],
                "phone": zhang[2],
                "address": "示范市城东区物流园 8 号",
                "business_scope": ["包车客运"],
                "vehicles": 6,
                "seats": 270,
                "drivers": 8,
                "parking_address": "示范市城东区物流园 8 号停车场",
                "parking_area": 3600,
                "safety_manager": "李四",
                "route_plan": "包车客运，不定线路，以示范市为中心开展旅游包车业务",
                **PROMISE,
            },
            tuple(Upload(f"M0{n}") for n in range(1, 7)),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            legal_person=COMPANY_CREDIT_CODE,
            filed_ago=9,
            review=(
                Act(
                    APPROVE_STEP,
                    D01_HANDLER,
                    ago=6,
                    hour=14,
                    text=(
                        "材料审查合格。经现场核查，停车场面积 3600 平方米，6 辆客车与申请一致，"
                        "安全生产管理制度健全，同意转审核。"
                    ),
                ),
                Act(
                    EXTEND,
                    D01_APPROVER,
                    ago=4,
                    hour=16,
                    working_days=5,
                    text=(
                        "拟投入的 6 辆客车中有 2 辆的车辆技术等级评定报告需向车辆检测机构函询"
                        "核实，无法在承诺期限内作出决定，经本机关负责人批准，延长办理期限 5 个"
                        "工作日。"
                    ),
                ),
                Act(
                    APPROVE_STEP,
                    D01_REVIEWER,
                    ago=0,
                    hour=10,
                    text=(
                        "经函询核实，2 辆客车的技术等级均为一级，申请人符合道路旅客运输经营"
                        "许可条件，建议准予许可。"
                    ),
                ),
            ),
        ),
        # 审查中：审批人退回审核环节重新核查；办件红灯（已超承诺期限），审核环节蓝灯
        DemoCase(
            "000117002000-320100000000-000-11320100MA0000011L-1-00",  # 出租汽车驾驶员从业资格证
            "wangwu",
            {
                "applicant_name": wang[0],
                "id_number": wang[1],
                "gender": "男",
                "phone": wang[2],
                "address": "示范市城东区东湖路 28 号",
                "licence_class": "C1",
                "licence_first_date": "2012-05-16",
                "service_type": "网络预约出租汽车",
                "exam_date": _days_from_today(-25),
                **PROMISE,
            },
            (Upload("M01"), Upload("M02", SCAN), Upload("M03", SCAN), Upload("M05", PHOTO)),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            filed_ago=7,
            review=(
                Act(
                    APPROVE_STEP,
                    D01_REVIEWER,
                    ago=3,
                    hour=11,
                    text="从业资格考试成绩合格，驾龄满 3 年，建议核发。",
                ),
                Act(
                    RETURN_STEP,
                    D01_APPROVER,
                    ago=1,
                    hour=15,
                    text=(
                        "卷内未附申请人无重大以上交通责任事故记录的核查结果，请向公安机关交通"
                        "管理部门核查后重新提出审核意见。"
                    ),
                ),
            ),
        ),
        # 准予许可：决定书加盖电子印章，待送达（企业在补正逾期终止后到窗口重新申请）
        DemoCase(
            "320100-SCJGJ-XK-0004-00",  # 特种设备使用登记, 市场监管局
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
            (Upload("M01"), Upload("M02", SCAN), Upload("M03"), Upload("M04")),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            channel=Channel.WINDOW,
            legal_person=COMPANY_CREDIT_CODE,
            filed_ago=3,
            review=(
                Act(
                    APPROVE_STEP,
                    D02_REVIEWER,
                    ago=2,
                    hour=10,
                    minute=30,
                    text=(
                        "设备代码与产品铭牌一致，监督检验结论为合格，安全管理员已到岗，建议予以"
                        "登记。"
                    ),
                ),
                Act(
                    DECIDE,
                    D02_APPROVER,
                    ago=1,
                    hour=16,
                    outcome=DecisionOutcome.APPROVED,
                    text="申请材料齐全，符合特种设备使用登记条件，准予登记。",
                ),
            ),
        ),
        # 不予许可：写明理由和法律依据
        DemoCase(
            "320100-SCJGJ-XK-0005-00",  # 药品经营许可证核发（零售）, 市场监管局
            "wangwu",
            {
                "company_name": "示范市康宁大药房有限公司",
                "credit_code": PHARMACY_CREDIT_CODE,
                "legal_representative": wang[0],
                "quality_manager": "周敏",
                "pharmacist_count": 1,
                "business_address": "示范市城东区东湖路 30 号",
                "area": 85,
                "business_mode": "药品零售",
                "business_scope": ["中成药", "化学药"],
                "phone": wang[2],
                **PROMISE,
            },
            (
                Upload("M01"),
                Upload("M02", SCAN),
                Upload("M03"),
                Upload("M04", SCAN),
                Upload("M05"),
                Upload("M06"),
            ),
            path=(SUBMIT, SIGN_IN, ACCEPT),
            clerk=CENTRE_CLERK,
            filed_ago=8,
            review=(
                Act(
                    APPROVE_STEP,
                    D02_HANDLER,
                    ago=5,
                    hour=16,
                    text=(
                        "经现场检查，营业场所和仓储设施符合要求；但质量负责人的执业药师注册证"
                        "注册单位为其他药品零售企业，现场无注册在本企业的执业药师，不符合开办"
                        "条件，建议不予许可。"
                    ),
                ),
                Act(
                    APPROVE_STEP,
                    D02_REVIEWER,
                    ago=3,
                    hour=10,
                    text="同意承办意见，建议不予许可。",
                ),
                Act(
                    DECIDE,
                    D02_APPROVER,
                    ago=2,
                    hour=15,
                    outcome=DecisionOutcome.DENIED,
                    text=(
                        "经现场检查，申请人拟任质量负责人的执业药师注册在其他药品零售企业，"
                        "现场无注册在本企业的执业药师，申请人不具备依法经过资格认定的药师或者"
                        "其他药学技术人员，不符合从事药品零售活动的条件。"
                    ),
                    legal_basis=(
                        "《中华人民共和国药品管理法》第五十一条、第五十二条第一项；"
                        "《中华人民共和国行政许可法》第三十八条第二款"
                    ),
                ),
            ),
        ),
        # 已办结：检验（特别程序）后恢复办理，准予许可，邮寄送达
        DemoCase(
            "000117003000-320100000000-000-11320100MA0000011L-1-00",  # 网约车运输证, 交通局
            "applicant",
            {
                "owner_type": "个人",
                "owner_name": zhang[0],
                "owner_certificate_number": zhang[1],
                "phone": zhang[2],
                "plate_number": "苏AD73K52",
                "vin": "LGXCE4CB7P0123456",
                "seats": 5,
                "register_date": "2025-03-18",
                "platform": "示范出行科技有限公司",
                **PROMISE,
            },
            (
                Upload("M01"),
                Upload("M02", SCAN),
                Upload("M03", SCAN),
                Upload("M05"),
                Upload("M06"),
            ),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            filed_ago=10,
            review=(
                Act(
                    SUSPEND,
                    D01_HANDLER,
                    ago=9,
                    hour=10,
                    procedure=SpecialProcedure.INSPECTION,
                    text="车辆卫星定位装置和应急报警装置需送车辆检测机构检验，检验期间不计入办理时限。",
                ),
                Act(RESUME, D01_HANDLER, ago=7, hour=10, text="检验合格，恢复办理。"),
                Act(
                    APPROVE_STEP,
                    D01_HANDLER,
                    ago=6,
                    hour=15,
                    text=(
                        "车辆查验合格：车辆技术性能和核定载客人数与行驶证一致，卫星定位装置和"
                        "应急报警装置经检验合格。"
                    ),
                ),
                Act(
                    APPROVE_STEP,
                    D01_REVIEWER,
                    ago=5,
                    hour=15,
                    text="申请材料齐全，车辆符合网约车经营服务条件，建议准予许可。",
                ),
                Act(DECIDE, D01_APPROVER, ago=4, hour=11, outcome=DecisionOutcome.APPROVED),
                Act(
                    COMPLETE,
                    CENTRE_CLERK,
                    ago=3,
                    hour=10,
                    delivery=Delivery.MAIL,
                    tracking_no="SF1432561870926",
                ),
            ),
        ),
        # 已办结：窗口申请，准予许可，申请人到窗口领取
        DemoCase(
            "000117002000-320100000000-000-11320100MA0000011L-1-00",  # 出租汽车驾驶员从业资格证
            "agent",
            {
                "applicant_name": li[0],
                "id_number": li[1],
                "gender": "女",
                "phone": li[2],
                "address": "示范市城东区长安路 18 号",
                "licence_class": "C1",
                "licence_first_date": "2016-08-02",
                "service_type": "巡游出租汽车",
                "exam_date": _days_from_today(-30),
                **PROMISE,
            },
            (
                Upload("M01"),
                Upload("M02", PAPER, "居民身份证原件已当场核验"),
                Upload("M03", PAPER, "机动车驾驶证原件已当场核验"),
                Upload("M05", PHOTO),
            ),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            channel=Channel.WINDOW,
            filed_ago=6,
            review=(
                Act(
                    APPROVE_STEP,
                    D01_REVIEWER,
                    ago=5,
                    hour=10,
                    text=(
                        "考试成绩合格，驾龄满 3 年；经信息共享核查，无重大以上交通责任事故记录，"
                        "无犯罪、吸毒记录，建议核发。"
                    ),
                ),
                Act(DECIDE, D01_APPROVER, ago=4, hour=15, outcome=DecisionOutcome.APPROVED),
                Act(COMPLETE, CENTRE_CLERK, ago=2, hour=10, minute=30, delivery=Delivery.PICKUP),
            ),
        ),
        # 已办结：核准登记后网上送达电子营业执照
        DemoCase(
            "320100-SCJGJ-XK-0003-00",  # 有限责任公司设立登记, 市场监管局
            "applicant",
            {
                "company_name": "示范市顺达汽车租赁有限公司",
                "registered_capital": 200,
                "shareholders": 2,
                "legal_representative": zhang[0],
                "legal_representative_id": zhang[1],
                "address": "示范市城东区物流园 8 号 2 幢 101 室",
                "business_scope": "小微型客车租赁经营服务；机动车修理和维护；汽车零配件零售",
                "phone": zhang[2],
                "contact_email": "zhangsan@example.com",
                **PROMISE,
            },
            tuple(Upload(f"M0{n}") for n in range(1, 6)),
            path=(SUBMIT, ACCEPT),
            clerk=CENTRE_CLERK,
            filed_ago=2,
            review=(
                Act(DECIDE, D02_APPROVER, ago=1, hour=10, outcome=DecisionOutcome.APPROVED),
                Act(COMPLETE, CENTRE_CLERK, ago=1, hour=11, delivery=Delivery.ONLINE),
            ),
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


def _reference_day(today: date) -> date:
    """The day the review stories count back from: today if it is a working day, else the
    last working day before it — so that "n working days ago" leaves the same distance to
    the due dates on a weekend as on a weekday, and the lights are the same."""
    if active_calendar().is_working_day(today):
        return today
    return _working_days_before(today, 1)


def _demo_day(today: date, ago: int) -> date:
    """The working day `ago` working days before the reference day (0: the reference day)."""
    return _working_days_before(_reference_day(today), ago)


def _timeline(spec: DemoCase, today: date) -> dict[str, datetime]:
    """When each step of a story that needs the past happens; {} for the others (now).

    - Review: created, submitted (signed) and accepted on the working day `filed_ago`
      working days before the reference day, in the morning; the review steps then run on
      their own days (`_act_moment`).

    - Termination: submitted, signed and sent a correction notice on a working day S so long
      ago that the answer was due (WANGBAN_CORRECTION_ANSWER_WORKING_DAYS after S) at least
      two working days ago; the clerk terminates on the first working day after the due day.
    - Deemed acceptance: submitted on a working day S whose five working days ended at least
      a day ago; the nightly job accepts it at 01:00 the day after (行政许可法第三十二条)."""
    if spec.filed_ago:
        filed = _demo_day(today, spec.filed_ago)
        moments = {"create": _at(filed, 9, 0), SUBMIT: _at(filed, 9, 20)}
        moments |= {SIGN_IN: _at(filed, 9, 40), ACCEPT: _at(filed, 10, 0)}
        return {step: moments[step] for step in ("create", *spec.path)}
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


def _act_moment(act: Act, today: date) -> datetime:
    return _at(_demo_day(today, act.ago), act.hour, act.minute)


def _act_clock(act: Act, today: date) -> AbstractContextManager[None]:
    """The clock a review step runs under: shifted to its moment, or the real one when that
    moment is not past yet (a step on the reference day, today, before its hour)."""
    moment = _act_moment(act, today)
    return _clock_at(moment) if moment < timezone.now() else nullcontext()


# --- making the cases ----------------------------------------------------------------------


@dataclass
class _Cast:
    """Who and what the demo cases need, found by their natural keys."""

    users: dict[str, User]
    legal_persons: dict[str, LegalPerson]


def _cast(specs: Sequence[DemoCase]) -> _Cast:
    usernames = {spec.applicant for spec in specs} | {spec.clerk for spec in specs if spec.clerk}
    usernames |= {act.actor for spec in specs for act in spec.review}
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
    if step == CORRECT_AGAIN:
        items = [{"material_code": code, "reason": why} for code, why in spec.second_corrections]
        actions.do_request_correction(
            case, actor=clerk, items=items, reason_for_second=spec.repeat_reason
        )
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


def _take_act(case: Case, act: Act, cast: _Cast) -> Case:
    """One step of review or decision, by the review action and the staff member that take
    it for real (`wangban.cases.review`; who may is `wangban.cases.access`)."""
    actor = cast.users[act.actor]
    if act.step == APPROVE_STEP:
        return review.do_approve_step(case, actor=actor, opinion=act.text)
    if act.step == RETURN_STEP:
        return review.do_return_step(case, actor=actor, reason=act.text)
    if act.step == SUSPEND:
        return review.do_suspend(case, actor=actor, procedure=act.procedure, reason=act.text)
    if act.step == RESUME:
        return review.do_resume(case, actor=actor, note=act.text)
    if act.step == EXTEND:
        return review.do_extend(case, actor=actor, working_days=act.working_days, reason=act.text)
    if act.step == DECIDE:
        return review.do_decide(
            case,
            actor=actor,
            outcome=act.outcome,
            reason=act.text,
            legal_basis=act.legal_basis,
        )
    if act.step == COMPLETE:
        if act.delivery == Delivery.ONLINE:
            # Online delivery hands over the sealed decision, which the worker rendered in
            # the hour between the decision and the delivery: here, in the loader.
            for pending in case.documents.filter(
                kind__in=documents.SEALED_KINDS, state=DocumentState.PENDING
            ):
                documents.render_document(pending.pk)
        return review.do_complete(
            case, actor=actor, delivery=act.delivery, tracking_no=act.tracking_no or None
        )
    raise ValueError(f"unknown demo review step {act.step!r}")


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
    for act in spec.review:
        with _act_clock(act, today):
            case = _take_act(case, act, cast)
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
