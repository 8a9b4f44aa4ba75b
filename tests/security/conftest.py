"""Fixtures for the security suite: the same real uvicorn server, clock, databases and test accounts as the
HTTP API tests (``tests/api/conftest.py``), so every attack runs through real HTTP against a real server,
on SQLite and on PostgreSQL where the database matters.
"""

from __future__ import annotations

from tests.api.conftest import api, clock, database, running_api

__all__ = ["api", "clock", "database", "running_api"]
