"""``leerlingroute clock show|set|advance``: only in an oefenomgeving; a move runs the work that fell due through the
flows (here without a Prefect server: the flows' own functions), and a database that ran simulated refuses the
commands of the real clock.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.settings import Settings
from run.cli import app
from service import Service
from tests.databases import migrated_sqlite


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite database the CLI runs on (through the environment), without a Prefect server."""
    url = migrated_sqlite(str(tmp_path))
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", url)
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("LEERLINGROUTE_CLOCK", raising=False)
    return url


def test_on_the_real_clock_the_clock_commands_say_they_are_for_an_oefenomgeving(database: str) -> None:
    """Non-zero exit, Dutch message, nothing written."""
    for args in (["clock", "show"], ["clock", "set", "2026-09-03"], ["clock", "advance", "7d"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "De klok kan alleen in een oefenomgeving verzet worden" in result.output
    del database


def test_an_admin_sets_and_advances_the_clock_and_the_flows_do_what_fell_due(
        database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set to a day before anything is recorded, open an OPP, advance seven weeks: its six-week timer fires through
    the fire_due_timers flow; going back is refused; the real clock then refuses this database.
    """
    monkeypatch.setenv("LEERLINGROUTE_CLOCK", "simulated")
    runner = CliRunner()
    result = runner.invoke(app, ["clock", "set", "2026-09-03", "--no-due-work"])
    assert result.exit_code == 0, result.output
    assert "De gesimuleerde klok staat nu op donderdag 3 september 2026, 00:00" in result.output
    shown = runner.invoke(app, ["clock", "show"])
    assert shown.exit_code == 0, shown.output
    assert "Gesimuleerde klok: donderdag 3 september 2026, 00:0" in shown.output

    service = Service.from_settings(Settings(database_url=database, data_dir=tmp_path, clock="simulated"))
    now = service.now()
    case_id = service.open_case(NewCase("opp", "14PS03", "lln-klok-1", "standaard"), Command(
        "start_opp", Actor("zorgcoordinator", "zc-1"), {"extra_ondersteuning_sinds": "2026-09-03"}), now).case_id

    advanced = runner.invoke(app, ["clock", "advance", "7w"])
    assert advanced.exit_code == 0, advanced.output
    assert "donderdag 22 oktober 2026" in advanced.output
    assert "fire_due_timers: fired 1" in advanced.output
    assert "relay_events: gedaan, behalve het doorsturen naar Prefect" in advanced.output
    assert [e.type for e in service.history(case_id)][-1] == "opp_te_laat"

    back = runner.invoke(app, ["clock", "set", date(2026, 10, 1).isoformat()])
    assert back.exit_code == 2, back.output
    assert "De klok kan niet terug" in back.output
    assert "geen duur" in runner.invoke(app, ["clock", "advance", "zeven dagen"]).output

    monkeypatch.setenv("LEERLINGROUTE_CLOCK", "real")
    refused = runner.invoke(app, ["fire-timers"])
    assert refused.exit_code == 1, refused.output
    assert "LEERLINGROUTE_CLOCK=simulated" in refused.output
    service.engine.dispose()
