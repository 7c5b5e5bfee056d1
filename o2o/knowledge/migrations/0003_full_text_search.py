"""The full-text index of articles: FTS5 (trigram) on SQLite, pg_trgm GIN indexes on PostgreSQL."""

from django.db import migrations

from o2o.knowledge.search_index import install, uninstall


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_versions_category_tags")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
