"""The demo city's organisation and people (DESIGN.md §6). Idempotent: every object is
found by its natural key first, so loading twice changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric, uscc

from wangban.accounts import actions
from wangban.accounts.choices import Level, RealNameLevel, Role
from wangban.accounts.models import (
    AgentGrant,
    Department,
    Hall,
    LegalPerson,
    RoleGrant,
    User,
    Window,
)

DEMO_PASSWORD = "wangban-demo"  # noqa: S105 - documented demo password, demo mode only
REGION = "320100"  # the demo city's administrative division code


def credit_code(serial: int, kind: str = "11") -> str:
    """A checksum-valid 统一社会信用代码 for demo organisations (kind 11 = 机关, 91 = 企业)."""
    prefix = f"{kind}{REGION}MA{serial:07d}"
    return prefix + uscc.calc_check_digit(prefix)


def resident_id(birth: str, serial: int) -> str:
    """A checksum-valid 身份证号码 for a demo person born on `birth` (YYYYMMDD)."""
    prefix = f"{REGION[:4]}02{birth}{serial:03d}"
    return prefix + ric.calc_check_digit(prefix + "0")


CENTRE = ("C00", "示范市政务服务中心")
DEPARTMENTS = [
    ("D01", "示范市交通运输局", True),
    ("D02", "示范市市场监督管理局", True),
    ("D03", "示范市住房和城乡建设局", False),
    ("D04", "示范市人力资源和社会保障局", True),
    ("D05", "示范市公安局", False),
    ("D06", "示范市自然资源和规划局", False),
    ("D07", "示范市生态环境局", True),
    ("D08", "示范市卫生健康委员会", True),
    ("D09", "示范市民政局", True),
    ("D10", "示范市教育局", False),
]
DISTRICT = ("Q01", "示范市城东区人民政府")
TOWN = ("Q01-J01", "城东区东湖街道办事处")

DEPARTMENT_STAFF = [
    ("clerk", "周窗口", Role.CLERK),
    ("handler", "吴承办", Role.HANDLER),
    ("reviewer", "郑审核", Role.REVIEWER),
    ("second_reviewer", "王复核", Role.SECOND_REVIEWER),
    ("approver", "冯审批", Role.APPROVER),
    ("dept_admin", "陈管理", Role.DEPT_ADMIN),
]
# 市场监督管理局 works its own review steps too (承办、审核、审批), so that the demo cases
# in review and decided are spread over two departments (wangban/cases/demo.py).
MARKET_STAFF = [
    ("handler_d02", "钱承办", Role.HANDLER),
    ("reviewer_d02", "孙审核", Role.REVIEWER),
    ("approver_d02", "杨审批", Role.APPROVER),
]
# The window clerk of each department that accepts its own applications (no 一窗受理).
OWN_WINDOW_CLERKS = {
    "D03": "秦窗口",
    "D05": "尤窗口",
    "D06": "何窗口",
    "D10": "吕窗口",
    "Q01": "施窗口",
    "Q01-J01": "曹窗口",
}
CENTRE_STAFF = [
    ("supervisor", "褚监察", Role.SUPERVISOR),
    ("hotline", "卫热线", Role.HOTLINE),
    ("knowledge_editor", "蒋知识", Role.KNOWLEDGE_EDITOR),
]
APPLICANTS = [
    ("applicant", "张三", "19850612", 1, "13800138001"),
    ("agent", "李四", "19900315", 2, "13800138002"),
    ("wangwu", "王五", "19780920", 3, "13800138003"),
]


def _department(code: str, name: str, **fields: object) -> Department:
    department, _ = Department.objects.update_or_create(
        code=code, defaults={"name": name, **fields}
    )
    return department


def _staff(username: str, real_name: str, department: Department) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username, real_name=real_name, department=department, phone="13900139000"
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _grant(user: User, department: Department, role: str, actor: User) -> None:
    if not RoleGrant.objects.filter(user=user, department=department, role=role).exists():
        actions.do_grant_role(user, department=department, role=role, actor=actor)


@transaction.atomic
def load_accounts() -> str:
    centre = _department(
        *CENTRE, level=Level.CITY, is_service_centre=True, credit_code=credit_code(1)
    )
    # The first centre admin is the root of trust: granted by the loader, not by a person.
    admin = _staff("centre_admin", "许中心", centre)
    if not RoleGrant.objects.filter(user=admin, role=Role.CENTRE_ADMIN).exists():
        RoleGrant.objects.create(user=admin, department=centre, role=Role.CENTRE_ADMIN)
    admin.is_staff = admin.is_superuser = True  # the admin site, for the demo only
    admin.save(update_fields=["is_staff", "is_superuser"])

    departments = [
        _department(
            code,
            name,
            level=Level.CITY,
            credit_code=credit_code(10 + index),
            entrusts_acceptance=entrusts,
        )
        for index, (code, name, entrusts) in enumerate(DEPARTMENTS, start=1)
    ]
    district = _department(*DISTRICT, level=Level.COUNTY, credit_code=credit_code(50))
    town = _department(*TOWN, level=Level.TOWN, parent=district)
    transport = departments[0]

    for username, real_name, role in DEPARTMENT_STAFF:
        _grant(_staff(username, real_name, transport), transport, role, admin)
    market = departments[1]
    for username, real_name, role in MARKET_STAFF:
        _grant(_staff(username, real_name, market), market, role, admin)
    # Every other department keeps its own items (the demo catalogue), so each has an admin.
    for department in [*departments[1:], district, town]:
        username = "dept_admin_" + department.code.lower().replace("-", "_")
        _grant(_staff(username, "管理员", department), department, Role.DEPT_ADMIN, admin)
    # A department that does not entrust acceptance to the centre accepts at its own window.
    for department in [*departments[1:], district, town]:
        if department.code in OWN_WINDOW_CLERKS:
            username = "clerk_" + department.code.lower().replace("-", "_")
            clerk = _staff(username, OWN_WINDOW_CLERKS[department.code], department)
            _grant(clerk, department, Role.CLERK, admin)
    for username, real_name, role in CENTRE_STAFF:
        _grant(_staff(username, real_name, centre), centre, role, admin)
    # The centre's comprehensive window clerk accepts for departments that entrust it.
    _grant(_staff("centre_clerk", "孔综窗", centre), centre, Role.CLERK, admin)

    hall, _ = Hall.objects.get_or_create(
        name="示范市民中心政务服务大厅",
        defaults={"department": centre, "address": "示范市城东区市民大道 1 号", "phone": "12345"},
    )
    for number, name, comprehensive, served in [
        ("1", "综合受理窗口", True, [d for d in departments if d.entrusts_acceptance]),
        ("2", "综合受理窗口", True, [d for d in departments if d.entrusts_acceptance]),
        ("8", "交通运输专窗", False, [transport]),
        ("12", "出件窗口", False, []),
    ]:
        window, _ = Window.objects.get_or_create(
            hall=hall, number=number, defaults={"name": name, "is_comprehensive": comprehensive}
        )
        window.departments.set(served)

    people = {}
    for username, real_name, birth, serial, phone in APPLICANTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = actions.do_register_person(
                username=username,
                password=DEMO_PASSWORD,
                real_name=real_name,
                id_number=resident_id(birth, serial),
                phone=phone,
            )
        if user.person.real_name_level < RealNameLevel.IDENTITY_VERIFIED:
            actions.do_verify_identity(user.person, actor=user)
        people[username] = user

    company = LegalPerson.objects.filter(credit_code=credit_code(101, kind="91")).first()
    if company is None:
        company = actions.do_register_legal_person(
            owner=people["applicant"],
            name="示范市顺达道路运输有限公司",
            credit_code=credit_code(101, kind="91"),
            representative_name="张三",
        )
    if not AgentGrant.objects.filter(legal_person=company, agent=people["agent"]).exists():
        today = timezone.localdate()
        actions.do_grant_agent(
            company,
            actor=people["applicant"],
            agent_username="agent",
            valid_from=today,
            valid_to=today + timedelta(days=365),
            all_items=True,
        )
    staff = User.objects.filter(department__isnull=False).count()
    return (
        f"{Department.objects.count()} 个部门、{staff} 名工作人员、"
        f"{len(people)} 名申请人、1 家企业及其经办人授权"
    )
