from __future__ import annotations

import hashlib
import secrets
from datetime import date as date_type
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from wangban.accounts.choices import Level, RealNameLevel, Role


def default_office_hours() -> list[list[str]]:
    """09:00–12:00 and 13:30–17:30 (DESIGN.md § Working days)."""
    return [["09:00", "12:00"], ["13:30", "17:30"]]


class Department(models.Model):
    """A department in the city's tree (city → district → town)."""

    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.CharField("行使层级", max_length=1, choices=Level.choices, default=Level.CITY)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    organisation_code = models.CharField(
        "组织机构代码", max_length=10, blank=True, help_text="9 位组织机构代码（可带连字符）"
    )
    is_service_centre = models.BooleanField("政务服务中心", default=False)
    entrusts_acceptance = models.BooleanField(
        "委托中心综合窗口受理（一窗受理）",
        default=False,
        help_text="勾选后，本部门事项由政务服务中心综合窗口预审、受理，再流转到本部门后台办理。",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Department]:
        chain: list[Department] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Hall(models.Model):
    """服务大厅: where applicants come in person, with its office hours."""

    name = models.CharField("大厅名称", max_length=100)
    department = models.ForeignKey(
        Department, verbose_name="主管部门", on_delete=models.PROTECT, related_name="halls"
    )
    address = models.CharField("地址", max_length=200)
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    office_hours = models.JSONField(
        "办公时间",
        default=default_office_hours,
        help_text='工作日的办公时段，如 [["09:00", "12:00"], ["13:30", "17:30"]]',
    )

    class Meta:
        verbose_name = "服务大厅"
        verbose_name_plural = "服务大厅"

    def __str__(self) -> str:
        return self.name

    def office_hour_spans(self) -> list[tuple[time, time]]:
        return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in self.office_hours]


class Window(models.Model):
    """A counter in a hall; a comprehensive window (综合窗口) accepts for many departments."""

    hall = models.ForeignKey(
        Hall, verbose_name="大厅", on_delete=models.CASCADE, related_name="windows"
    )
    number = models.CharField("窗口号", max_length=20)
    name = models.CharField("窗口名称", max_length=100)
    is_comprehensive = models.BooleanField("综合窗口", default=False)
    departments = models.ManyToManyField(Department, verbose_name="受理部门", blank=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="window_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hall} {self.number}号窗口"


class User(AbstractUser):
    """Everyone who signs in: applicants, agents and staff. Staff belong to a department."""

    real_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号码", max_length=11, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    # Set whenever a password is set (wangban.accounts.passwords.PasswordAgeValidator); the
    # 等保 policy makes a password older than WANGBAN_PASSWORD_MAX_AGE_DAYS be changed.
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    @property
    def is_department_staff(self) -> bool:
        return self.department_id is not None

    def get_full_name(self) -> str:
        return self.real_name or super().get_full_name()


class RoleGrant(models.Model):
    """A role a staff member holds in one department. Granted and removed only through
    `wangban.accounts.actions`, which audits both."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="role_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


class Person(models.Model):
    """A natural person (自然人) applicant. The identity number is personal data: stored
    encrypted, found through a keyed hash, shown masked."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="person")
    real_name = models.CharField("姓名", max_length=50)
    id_number_encrypted = models.TextField("身份证号码（密文）")
    id_number_digest = models.CharField("身份证号码摘要", max_length=64, unique=True)
    id_number_masked = models.CharField("身份证号码", max_length=18)
    phone = models.CharField("手机号码", max_length=11)
    real_name_level = models.PositiveSmallIntegerField(
        "实名等级", choices=RealNameLevel.choices, default=RealNameLevel.REGISTERED
    )
    verified_at = models.DateTimeField("认证时间", null=True, blank=True)
    verified_by = models.CharField("认证方式", max_length=50, blank=True)

    class Meta:
        verbose_name = "自然人"
        verbose_name_plural = "自然人"

    def __str__(self) -> str:
        return f"{self.real_name}（{self.id_number_masked}）"


class LegalPerson(models.Model):
    """A legal person (法人): a company or organisation, represented by a verified person."""

    name = models.CharField("名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    representative_name = models.CharField("法定代表人", max_length=50)
    owner = models.ForeignKey(
        User, verbose_name="法人账号持有人", on_delete=models.PROTECT, related_name="legal_persons"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "法人"
        verbose_name_plural = "法人"

    def __str__(self) -> str:
        return self.name


class AgentGrantQuerySet(models.QuerySet["AgentGrant"]):
    def in_force(self, on: date_type) -> AgentGrantQuerySet:
        return self.filter(revoked_at__isnull=True, valid_from__lte=on, valid_to__gte=on)


class AgentGrant(models.Model):
    """A legal person authorises an agent (经办人) for chosen items or all items, from a
    date to a date, revocable (乌海第八条). The agent acts only within the grant."""

    legal_person = models.ForeignKey(
        LegalPerson, on_delete=models.CASCADE, related_name="agent_grants"
    )
    agent = models.ForeignKey(User, on_delete=models.PROTECT, related_name="agent_grants")
    all_items = models.BooleanField("全部事项", default=False)
    item_codes = models.JSONField("授权事项编码", default=list, blank=True)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("截止日期")
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    objects = AgentGrantQuerySet.as_manager()

    class Meta:
        verbose_name = "经办人授权"
        verbose_name_plural = "经办人授权"

    def __str__(self) -> str:
        return f"{self.legal_person} → {self.agent}"

    def covers(self, item_code: str, on: date_type) -> bool:
        return (
            self.revoked_at is None
            and self.valid_from <= on <= self.valid_to
            and (self.all_items or item_code in self.item_codes)
        )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; it expires and
    can be revoked. The raw value is shown once, when it is issued."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField("令牌摘要", max_length=64, unique=True)
    prefix = models.CharField("令牌前缀", max_length=8, help_text="用于辨认令牌，不足以使用它")
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: User, *, ttl: timedelta | None = None) -> tuple[ApiToken, str]:
        """Create a token for `user`; returns the row and the raw token (shown once)."""
        raw = secrets.token_urlsafe(32)
        ttl = ttl or timedelta(hours=settings.API_TOKEN_TTL_HOURS)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + ttl,
        )
        return token, raw

    def is_usable(self) -> bool:
        """`ApiToken.objects.usable()` of this row: not revoked, not expired."""
        return self.revoked_at is None and self.expires_at > timezone.now()

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
