"""Codes of the audit trail: channels, outcomes and the actions recorded so far."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    """From where an event came (乌海第二十六条: 信息审计跟踪)."""

    WEB = "web", "网页"
    API = "api", "接口"
    WINDOW = "window", "窗口"
    SYSTEM = "system", "系统"


class Outcome(models.TextChoices):
    SUCCESS = "success", "成功"
    DENIED = "denied", "拒绝"
    FAILURE = "failure", "失败"


# Action codes are `domain.verb`. Modules may record codes not listed here; this table
# only gives the pages a Chinese label (unknown codes are shown as they are).
ACTION_LABELS: dict[str, str] = {
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.lockout": "账号锁定",
    "auth.otp_enrol": "启用动态口令",
    "auth.otp_failed": "动态口令错误",
    "auth.password_change": "修改密码",
    "auth.password_reset_request": "申请重置密码",
    "auth.password_reset": "重置密码",
    "role.grant": "授予角色",
    "role.revoke": "撤销角色",
    "agent.grant": "授权经办人",
    "agent.revoke": "撤销经办人授权",
    "pii.view": "查看个人信息",
    "applicant.register": "申请人注册",
    "applicant.verify": "实名认证",
    "applicant.verify_failed": "实名认证未通过",
    "applicant.verify_in_person": "现场核验身份",
    "legal_person.register": "法人登记",
    "department.create": "新建部门",
    "department.update": "修改部门",
    "staff.create": "新增工作人员",
    "holiday.change": "修改节假日安排",
    "audit.export": "导出审计日志",
    "item.draft": "起草事项",
    "item.update_draft": "修改事项草稿",
    "item.submit": "提交事项审核",
    "item.publish": "发布事项",
    "item.cancel": "取消事项",
    "item.return": "退回事项草稿",
    "item.schedule": "审核通过，待生效",
    "item.discard": "删除事项草稿",
    "item.attach_file": "上传指南文件",
    "item.remove_file": "删除指南文件",
    "catalog.level_save": "保存网上办理等级",
    "catalog.level_delete": "删除网上办理等级",
    "case.create": "创建申请",
    "case.update_form": "修改申请表",
    "case.attach_material": "提交申请材料",
    "case.mark_paper_material": "登记纸质材料",
    "case.submit": "提交申请",
    "case.sign_in": "签收",
    "case.request_correction": "一次性告知补正",
    "case.resubmit": "补正后重新提交",
    "case.accept": "受理",
    "case.deem_accept": "视为受理",
    "case.reject": "不予受理",
    "case.terminate": "终止办理",
    "case.withdraw": "撤回申请",
    "case.download_material": "下载办件材料",
    "case.download_document": "下载办件文书",
    "case.retry_document": "重新生成办件文书",
    "case.reassign": "转办改派",
    "case.approve_step": "审查通过",
    "case.return_step": "退回上一环节",
    "case.suspend": "挂起（特别程序）",
    "case.resume": "恢复办理",
    "case.extend": "延长办理期限",
    "case.decide": "作出审批决定",
    "case.complete": "办结送达",
    "case.reschedule": "节假日调整办结期限",
    "webhook.create": "新增 Webhook 接收端",
    "webhook.update": "修改 Webhook 接收端",
    "webhook.delete": "删除 Webhook 接收端",
    "message.dead": "消息投递失败（停止重试）",
    "message.retry": "重新投递消息",
    "seal.create": "新建电子印章",
    "seal.rotate": "轮换电子印章密钥",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)
