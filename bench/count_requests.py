"""A pytest plugin that counts the HTTP requests the tests send with httpx and the answers' status classes,
for the closing figures of the security re-run (how many requests, how many 5xx):

    PYTHONPATH=bench .ci/with-postgres .venv/bin/python -m pytest -p count_requests \
        tests/api/test_access_matrix.py tests/api/test_openapi_fuzz.py tests/security

It prints one line at the end of the session; the tests' own assertions say which answers were wrong.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

COUNTS: Counter[str] = Counter()
_send = httpx.Client.send


def _counting_send(self: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
    response = _send(self, request, *args, **kwargs)
    COUNTS["requests"] += 1
    COUNTS[f"{response.status_code // 100}xx"] += 1
    return response


def pytest_configure(config: pytest.Config) -> None:
    """Count every request sent through an ``httpx.Client``."""
    del config
    httpx.Client.send = _counting_send  # type: ignore[method-assign]  # the plugin's whole point


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line: requests sent, answers per status class."""
    classes = ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items()) if k != "requests")
    terminalreporter.write_line(f"HTTP requests through httpx: {COUNTS['requests']} ({classes})")
