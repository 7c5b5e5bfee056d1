"""The full-text index behind `selectors.search`, one per database (docs/knowledge.md).

SQLite: an FTS5 table with the `trigram` tokenizer (any 3 characters in a row, so Chinese text
without spaces is found by any part of 3 characters or more), over the article table's title and
body as external content, kept in sync by triggers. PostgreSQL: pg_trgm GIN indexes on title and
body that serve `ILIKE '%term%'`.

Migrations call `install`/`uninstall`. A later migration that makes Django rebuild the article
table on SQLite (it copies the table, which drops its triggers) must call `install` again;
`o2o/knowledge/tests/test_search.py` checks the triggers are there.
"""

SQLITE_INSTALL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_article_fts USING fts5(
        title, body, content='knowledge_article', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER IF NOT EXISTS knowledge_article_fts_ai AFTER INSERT ON knowledge_article BEGIN
        INSERT INTO knowledge_article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS knowledge_article_fts_ad AFTER DELETE ON knowledge_article BEGIN
        INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS knowledge_article_fts_au AFTER UPDATE OF title, body ON knowledge_article BEGIN
        INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO knowledge_article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    "INSERT INTO knowledge_article_fts(knowledge_article_fts) VALUES ('rebuild')",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ai",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_au",
    "DROP TABLE IF EXISTS knowledge_article_fts",
]
POSTGRES_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS knowledge_article_title_trgm ON knowledge_article USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS knowledge_article_body_trgm ON knowledge_article USING gin (body gin_trgm_ops)",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS knowledge_article_title_trgm",
    "DROP INDEX IF EXISTS knowledge_article_body_trgm",
]
SQLITE_TRIGGERS = {"knowledge_article_fts_ai", "knowledge_article_fts_ad", "knowledge_article_fts_au"}


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def install(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL})


def uninstall(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_UNINSTALL, "postgresql": POSTGRES_UNINSTALL})
