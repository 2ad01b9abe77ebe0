"""The flowchart of an item's approval steps (办理流程图), drawn on the server as SVG.

One column of boxes, top to bottom, between 提交申请 and 办结: it reads on a phone as it does
on paper, and it scales with the page through its viewBox. Each box names the step, the role
that works it, its budget in working days and, for a joint approval, the co-handling
department (联办部门, dashed box). SVG text does not wrap, so lines are broken here by an
estimate of their width (a CJK character is one em, other characters about half).

The SVG is an image to assistive technology (`role="img"` with `<title>` and `<desc>`); the
page gives the same steps as an ordered list. Colours are presentation attributes, not
`style`, so the strict CSP allows the inline SVG and WeasyPrint draws it the same in PDF.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString

from wangban.accounts.choices import Role

WIDTH = 320
MARGIN = 10
BOX_WIDTH = WIDTH - 2 * MARGIN
PADDING = 12
ARROW = 30  # the gap between two boxes, drawn as an arrow
PILL_HEIGHT = 36
NAME_SIZE = 15
DETAIL_SIZE = 13
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"

INK = "#1b1b1b"
MUTED = "#4a4a4a"
BRAND = "#b3261e"
JOINT = "#0b57d0"
JOINT_FILL = "#eef3fc"


@dataclass(frozen=True)
class ChartStep:
    """What the chart shows of one workflow step."""

    order: int
    name: str
    role: str  # the role's Chinese label
    budget_days: int
    department: str = ""  # the co-handling department's name, if another department works it

    @property
    def detail(self) -> str:
        return f"{self.role} · {self.budget_days} 个工作日"

    @property
    def sentence(self) -> str:
        """The step in words, for `<desc>` and the ordered list."""
        joint = f"，由联办部门{self.department}办理" if self.department else ""
        return f"{self.name}（{self.role}，{self.budget_days} 个工作日{joint}）"


def chart_steps(version: Any) -> list[ChartStep]:
    """The steps of an item version, as the chart shows them. A step's department is shown
    only when it is not the implementing department."""
    roles = dict(Role.choices)
    return [
        ChartStep(
            order=step.order,
            name=step.name,
            role=roles.get(step.role, step.role),
            budget_days=step.budget_days,
            department=step.department.name
            if step.department and step.department.pk != version.department_id
            else "",
        )
        for step in version.steps.all()
    ]


def _width(text: str, size: int) -> float:
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.55 for c in text)


def wrap(text: str, size: int, width: float = BOX_WIDTH - 2 * PADDING) -> list[str]:
    """`text` broken into lines no wider than `width` at font size `size`."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and _width(line + char, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines or [""]


def _text(x: float, y: float, text: str, *, size: int, fill: str, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" fill="{fill}" text-anchor="middle"'
        f"{weight}>{escape(text)}</text>"
    )


def _arrow(top: float) -> str:
    x = WIDTH / 2
    tip = top + ARROW - 2
    return (
        f'<line x1="{x:g}" y1="{top + 2:g}" x2="{x:g}" y2="{tip - 8:g}" stroke="{MUTED}" '
        f'stroke-width="2"/><polygon points="{x - 6:g},{tip - 9:g} {x + 6:g},{tip - 9:g} '
        f'{x:g},{tip:g}" fill="{MUTED}"/>'
    )


def _pill(top: float, label: str) -> str:
    x = WIDTH / 2
    return (
        f'<rect x="{x - 80:g}" y="{top:g}" width="160" height="{PILL_HEIGHT}" '
        f'rx="{PILL_HEIGHT / 2:g}" fill="{BRAND}"/>'
        + _text(x, top + PILL_HEIGHT / 2 + 5, label, size=NAME_SIZE, fill="#ffffff", bold=True)
    )


def _box(top: int, step: ChartStep) -> tuple[str, int]:
    """The box of a step and its height."""
    name_lines = wrap(f"{step.order}. {step.name}", NAME_SIZE)
    detail_lines = wrap(step.detail, DETAIL_SIZE)
    if step.department:
        detail_lines += wrap(f"联办：{step.department}", DETAIL_SIZE)
    height = PADDING * 2 + len(name_lines) * 22 + len(detail_lines) * 19
    joint = bool(step.department)
    dashes = ' stroke-dasharray="6 4"' if joint else ""
    frame = (
        f'<rect x="{MARGIN}" y="{top:g}" width="{BOX_WIDTH}" height="{height:g}" rx="6" '
        f'fill="{JOINT_FILL if joint else "#ffffff"}" stroke="{JOINT if joint else INK}" '
        f'stroke-width="2"{dashes}/>'
    )
    parts = [frame]
    y = top + PADDING + 16
    for line in name_lines:
        parts.append(_text(WIDTH / 2, y, line, size=NAME_SIZE, fill=INK, bold=True))
        y += 22
    for line in detail_lines:
        parts.append(_text(WIDTH / 2, y - 2, line, size=DETAIL_SIZE, fill=MUTED))
        y += 19
    return "".join(parts), height


def flowchart_svg(
    steps: Sequence[ChartStep], *, title: str, id_prefix: str = "flowchart"
) -> SafeString:
    """The SVG of the steps (an empty string when there are none). `id_prefix` keeps the
    ids of `<title>` and `<desc>` unique when a page shows more than one chart."""
    if not steps:
        return SafeString("")
    parts = [_pill(MARGIN, "提交申请")]
    top = MARGIN + PILL_HEIGHT
    for step in steps:
        parts.append(_arrow(top))
        box, height = _box(top + ARROW, step)
        parts.append(box)
        top += ARROW + height
    parts.append(_arrow(top))
    parts.append(_pill(top + ARROW, "办结"))
    height = top + ARROW + PILL_HEIGHT + MARGIN
    description = f"共 {len(steps)} 个环节：" + "；".join(
        f"{step.order}. {step.sentence}" for step in steps
    )
    return SafeString(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart-svg" '
        f'viewBox="0 0 {WIDTH} {height:g}" width="{WIDTH}" height="{height:g}" role="img" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-family="{FONT}">'
        f'<title id="{id_prefix}-title">{escape(f"办理流程图：{title}")}</title>'
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>' + "".join(parts) + "</svg>"
    )
