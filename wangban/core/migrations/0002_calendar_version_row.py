"""The calendar's version row exists from the start: case actions read it `FOR SHARE`
(`calendar.hold_calendar`), which holds nothing while there is no row, so even the first
holiday change must find it there to wait for them."""

from django.db import migrations


def create_version_row(apps, schema_editor):
    HolidayCalendarVersion = apps.get_model("core", "HolidayCalendarVersion")
    HolidayCalendarVersion.objects.get_or_create(pk=1, defaults={"version": 0})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_version_row, migrations.RunPython.noop)]
