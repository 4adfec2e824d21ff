"""make run's embedded database: every migration applies to a fresh SQLite file (the suite itself runs on
PostgreSQL, so this is where SQLite-only failures of a migration show)."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_every_migration_applies_to_a_fresh_sqlite_database(tmp_path):
    database = tmp_path / "fresh-clone" / "var" / "registry.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)

    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True, timeout=300)

    assert migrate.returncode == 0, migrate.stderr[-3000:]
    with sqlite3.connect(database) as connection:
        indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "run_experiment_newest_idx" in indexes
