"""The workbench's sections, each shown only to the roles that may open it. The pages
still check access themselves; this only keeps people from links they cannot follow."""

from __future__ import annotations

from typing import Any, NamedTuple

from wangban.accounts.choices import Role
from wangban.accounts.roles import user_has_role


class Section(NamedTuple):
    url_name: str
    label: str
    description: str
    roles: tuple[Role, ...]  # empty: every staff member


SECTIONS = [
    Section(
        "workbench:cases-queue",
        "受理",
        "签收、预审网上和窗口的申请：受理、一次性告知补正或不予受理；窗口收件；送达审批结果。",
        (Role.CLERK,),
    ),
    Section(
        "workbench:cases-review",
        "审批",
        "办理审批环节：待办、停止计时、即将到期、已超期和已办结的办件，按办结期限排序。",
        (Role.HANDLER, Role.REVIEWER, Role.SECOND_REVIEWER, Role.APPROVER, Role.DEPT_ADMIN),
    ),
    Section(
        "workbench:cases-deemed",
        "视为受理",
        "逾期未答复、依法视为受理的办件（行政许可法第三十二条）。",
        (Role.SUPERVISOR,),
    ),
    Section(
        "workbench:cases-repeat-notices",
        "再次补正告知",
        "同一次申请再次出具的补正告知书及其理由，未做到一次性告知的记录。",
        (Role.SUPERVISOR,),
    ),
    Section(
        "workbench:catalog-items",
        "事项管理",
        "起草、调整、取消和下放本部门的政务服务事项，维护办事指南、材料、流程和电子表单。",
        (Role.DEPT_ADMIN, Role.CENTRE_ADMIN),
    ),
    Section(
        "workbench:catalog-review-queue",
        "事项审核",
        "对各部门提交的事项变更进行法制审核，确定生效日期后发布，或写明原因退回。",
        (Role.CENTRE_ADMIN,),
    ),
    Section(
        "workbench:catalog-figures",
        "事项监督",
        "按部门统计网上事项公开率和办事指南完整率，列出缺少要素的事项。",
        (Role.SUPERVISOR, Role.CENTRE_ADMIN, Role.DEPT_ADMIN),
    ),
    Section(
        "workbench:staff-list",
        "工作人员",
        "添加工作人员，授予和撤销角色。",
        (Role.DEPT_ADMIN, Role.CENTRE_ADMIN),
    ),
    Section(
        "workbench:department-list",
        "部门",
        "维护部门树、信用代码和一窗受理委托。",
        (Role.CENTRE_ADMIN,),
    ),
    Section(
        "workbench:audit-list",
        "审计日志",
        "按人员、对象、操作和时段查询留痕，导出表格。",
        (Role.SUPERVISOR, Role.CENTRE_ADMIN),
    ),
    Section("workbench:password-change", "修改密码", "定期更换密码，保护账户安全。", ()),
    Section(
        "workbench:otp-enrol", "身份验证器", "绑定手机身份验证器（TOTP），登录时输入动态码。", ()
    ),
]


def sections_for(user: Any) -> list[Section]:
    return [s for s in SECTIONS if not s.roles or user_has_role(user, *s.roles)]
