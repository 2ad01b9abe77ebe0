"""Forms of the account pages (portal and workbench). They check the shape of the input;
the actions check the rules and their `InvalidInput.fields` go back beside the fields
(`add_domain_error`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from wangban.accounts.passwords import help_texts
from wangban.core.errors import DomainError


def _text(autocomplete: str, **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false", **attrs})


def _password(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


def _code(autocomplete: str = "one-time-code") -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": autocomplete,
            "inputmode": "numeric",
            "pattern": "[0-9]*",
            "maxlength": "6",
            "spellcheck": "false",
        }
    )


def add_domain_error(
    form: forms.Form, error: DomainError, field_map: dict[str, str] | None = None
) -> None:
    """Put an action's refusal beside the fields it names (or on top of the form)."""
    field_map = field_map or {}
    placed = False
    for name, messages in error.fields.items():
        target = field_map.get(name, name)
        if target in form.fields:
            for message in messages:
                form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class LoginForm(AuthenticationForm):
    """Django's form (its `clean` calls `authenticate(request, ...)`, which django-axes
    watches), with the attributes phones need."""

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class BaseForm(forms.Form):
    """Says which field is missing: "请填写姓名。" rather than "这个字段是必填项。"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = f"请填写{field.label}。"


class NewPasswordMixin(BaseForm):
    new_password1 = forms.CharField(
        label="新密码", strip=False, max_length=256, widget=_password("new-password")
    )
    new_password2 = forms.CharField(
        label="再次输入新密码", strip=False, max_length=256, widget=_password("new-password")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = [text.rstrip("。") for text in help_texts()]
        self.fields["new_password1"].help_text = "；".join(rules) + "。" if rules else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "两次输入的密码不一致。")
        return data


class RegisterForm(NewPasswordMixin):
    real_name = forms.CharField(
        label="姓名", max_length=50, widget=_text("name"), help_text="与身份证上的姓名一致"
    )
    id_number = forms.CharField(
        label="身份证号码",
        max_length=22,
        # Not inputmode="numeric": the last character may be X, which a phone's numeric
        # keypad cannot type.
        widget=_text("off", autocapitalize="characters"),
        help_text="18 位，最后一位可能是 X",
    )
    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel-national"}),
        help_text="用于接收验证码和办件通知",
    )
    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=_text("username", autocapitalize="none"),
        help_text="登录时使用，可以用字母、数字",
    )

    field_order = ["real_name", "id_number", "phone", "username", "new_password1", "new_password2"]


class PasswordChangeForm(NewPasswordMixin):
    old_password = forms.CharField(
        label="当前密码", strip=False, max_length=256, widget=_password("current-password")
    )

    field_order = ["old_password", "new_password1", "new_password2"]


class PasswordResetRequestForm(BaseForm):
    username = forms.CharField(
        label="用户名", max_length=150, widget=_text("username", autocapitalize="none")
    )
    phone = forms.CharField(
        label="注册时填写的手机号码",
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel-national"}),
    )


class PasswordResetCodeForm(NewPasswordMixin):
    code = forms.CharField(
        label="短信验证码", max_length=6, widget=_code(), help_text="6 位数字，10 分钟内有效"
    )

    field_order = ["code", "new_password1", "new_password2"]


class OtpTokenForm(BaseForm):
    token = forms.CharField(
        label="动态验证码",
        max_length=6,
        widget=_code(),
        help_text="打开手机上的身份验证器，输入“网办”当前显示的 6 位数字",
    )


class LegalPersonForm(BaseForm):
    name = forms.CharField(label="法人名称", max_length=200, widget=_text("organization"))
    credit_code = forms.CharField(
        label="统一社会信用代码",
        max_length=24,
        widget=_text("off", autocapitalize="characters"),
        help_text="18 位，见营业执照",
    )
    representative_name = forms.CharField(label="法定代表人", max_length=50, widget=_text("off"))


class AgentGrantForm(BaseForm):
    agent_username = forms.CharField(
        label="经办人用户名",
        max_length=150,
        widget=_text("off", autocapitalize="none"),
        help_text="经办人须已注册并完成实名认证",
    )
    all_items = forms.BooleanField(label="授权办理全部事项", required=False)
    item_codes = forms.CharField(
        label="授权办理的事项编码",
        required=False,
        max_length=6500,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text="每行一个事项编码；勾选“全部事项”时不用填写",
    )
    valid_from = forms.DateField(
        label="起始日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的日期。"},
    )
    valid_to = forms.DateField(
        label="截止日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效的日期。"},
    )

    def item_code_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["item_codes"].splitlines()]

    def initial_dates(self, today: date) -> None:
        self.initial.setdefault("valid_from", today)
