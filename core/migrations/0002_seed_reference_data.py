from django.db import migrations


def seed(apps, schema_editor):
    from core.reference_data import DISTRICTS, TECHNICAL_FIELDS, TRANSFER_MODES

    for model_name, rows in (("TechnicalField", TECHNICAL_FIELDS), ("District", DISTRICTS),
                             ("TransferMode", TRANSFER_MODES)):
        model = apps.get_model("core", model_name)
        for order, (code, name_zh, name_en) in enumerate(rows):
            model.objects.update_or_create(
                code=code, defaults={"name_zh": name_zh, "name_en": name_en, "sort_order": order}
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
