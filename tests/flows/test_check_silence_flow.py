"""The daily silence check flow: it counts each kind of violation over all active data (no ids) and returns
the counts; an empty database has none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import Actor, Command
from domain.handlers import NewCase
from flows._service import service
from flows.check_silence import check_silence

OPENED = datetime(2026, 9, 3, 9, tzinfo=UTC)
NONE = {"tlv_zonder_herbeoordeling": 0, "opp_ontbreekt": 0, "thuiszitter_zonder_dossier": 0, "stil_dossier": 0}


@pytest.mark.usefixtures("flow_database")
def test_the_flow_counts_nothing_on_an_empty_database() -> None:
    """Every kind is counted, each zero."""
    assert check_silence.fn(as_of=OPENED) == NONE


@pytest.mark.usefixtures("flow_database")
def test_the_flow_counts_a_case_that_no_timer_and_no_norm_watches() -> None:
    """A standard-profile OPP whose 6-week term fired while it stays a concept: one stil_dossier."""
    command = Command("start_opp", Actor("zorgcoordinator", "zc-1"), {"extra_ondersteuning_sinds": "2026-09-03"})
    service().open_case(NewCase("opp", "14PS03", "lln-1", "standaard"), command, OPENED)
    assert check_silence.fn(as_of=OPENED) == NONE
    later = OPENED + timedelta(weeks=7)
    service().fire_due_timers(later)
    assert check_silence.fn(as_of=later) == {**NONE, "stil_dossier": 1}
