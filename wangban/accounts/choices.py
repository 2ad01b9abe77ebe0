from django.db import models


class Role(models.TextChoices):
    """Staff roles, granted per department (API.md: steps[].role and staff grants)."""

    CLERK = "clerk", "窗口受理人员"
    HANDLER = "handler", "承办人"
    REVIEWER = "reviewer", "审核人"
    SECOND_REVIEWER = "second_reviewer", "复核人"
    APPROVER = "approver", "审批人"
    DEPT_ADMIN = "dept_admin", "部门管理员"
    CENTRE_ADMIN = "centre_admin", "中心管理员"
    SUPERVISOR = "supervisor", "监察人员"
    HOTLINE = "hotline", "12345 热线坐席"
    KNOWLEDGE_EDITOR = "knowledge_editor", "知识库编辑"


class Level(models.TextChoices):
    """行使层级, GB/T 39046-2020 Appendix A.2."""

    NATIONAL = "1", "国家级"
    PROVINCIAL = "2", "省级"
    CITY = "3", "市级"
    COUNTY = "4", "县级"
    TOWN = "5", "镇（乡、街道）级"
    VILLAGE = "6", "村（社区）级"


class RealNameLevel(models.IntegerChoices):
    """How sure we are of an applicant's identity (乌海第八条: unified identity)."""

    REGISTERED = 1, "已注册（手机号）"
    IDENTITY_VERIFIED = 2, "已实名认证"
    VERIFIED_IN_PERSON = 3, "已现场核验"
