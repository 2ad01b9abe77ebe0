"""The four online service levels most provinces use; the centre may relabel or add levels.
Levels three and four take applications online, so their submissions are signed for within
4 working hours and pre-reviewed within 1 working day (issue 7's defaults)."""

from django.db import migrations

LEVELS = [
    ("1", "一级", "网上发布办事指南", None, None),
    ("2", "二级", "网上下载表格、在线咨询", None, None),
    ("3", "三级", "网上预审，到现场办理", 4, 1),
    ("4", "四级", "全程网上办理", 4, 1),
]


def create_levels(apps, schema_editor):
    level_model = apps.get_model("catalog", "OnlineServiceLevel")
    for order, (code, label, description, sign_in_hours, reply_days) in enumerate(LEVELS, 1):
        level_model.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "description": description,
                "order": order,
                "sign_in_hours": sign_in_hours,
                "reply_working_days": reply_days,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_levels, migrations.RunPython.noop)]
