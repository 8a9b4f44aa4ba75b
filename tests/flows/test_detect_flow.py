"""The daily detection flow, run by Prefect: from records written straight into the database (as a school
administration system's nightly load would) to the leerplicht alert, the register row and the case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from flows._service import service
from flows.detect_thuiszitters import detect_thuiszitters
from infra.reference import resources
from infra.store.tables import alerts, cases
from infra.store.verzuim_tables import absences, enrollments, thuiszitter_episodes

LOADED = datetime(2026, 10, 5, 22, tzinfo=UTC)


def load_a_pupil_absent_since_7_september() -> str:
    engine = service().engine
    for kind, content in (("gemeenten", "cbs_code,naam\n0957,Roermond\n"), ("swvs", "code,naam,sector\nVO3102,V,vo\n"),
                          ("scholen", "brin,naam,swv,soort,gemeente,vakantieregio\n14PS03,A,VO3102,vo,0957,zuid\n"),
                          ("leerlingen", ("leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                                         "lln-1,14PS03,0957,2013-03-01,Sam,Jansen\n"))):
        resources.import_csv(engine, kind, content, LOADED)
    days = [date(2026, 9, 7) + timedelta(days=n) for n in range(29)]
    with engine.begin() as conn:
        conn.execute(insert(enrollments), [{"pupil_id": "lln-1", "school_brin": "14PS03",
                                            "first_day": date(2026, 8, 24), "recorded_at": LOADED}])
        conn.execute(insert(absences), [{"pupil_id": "lln-1", "day": day, "hours": 6.0, "authorized": False,
                                         "reason": "", "recorded_at": LOADED} for day in days if day.weekday() < 5])
    return "lln-1"


@pytest.mark.prefect
@pytest.mark.usefixtures("flow_database", "prefect_api")
def test_the_daily_flow_alerts_leerplicht_registers_the_episode_and_opens_one_case() -> None:
    """Absent every school day from 7 September: the run as of 6 October raises the thuiszitter alert to
    leerplicht 0957, writes the register row and opens the thuiszitter case; running it again adds nothing.
    """
    load_a_pupil_absent_since_7_september()
    first = detect_thuiszitters(as_of=date(2026, 10, 6))
    assert (first["candidates"], first["episodes_new"], first["cases_opened"]) == (1, 1, 1)
    again = detect_thuiszitters(as_of=date(2026, 10, 6))
    assert (again["alerts"], again["episodes_new"], again["cases_opened"]) == (0, 0, 0)
    with service().engine.connect() as conn:
        leerplicht = conn.execute(select(alerts.c.audience_scope).where(
            alerts.c.kind == "thuiszitter", alerts.c.audience_role == "leerplicht")).scalars().all()
        register = conn.execute(select(thuiszitter_episodes.c.key, thuiszitter_episodes.c.case_id)).all()
        opened = conn.execute(select(cases.c.id).where(cases.c.pathway == "thuiszitter")).scalars().all()
    assert leerplicht == ["0957"]
    assert [(key, case_id) for key, case_id in register] == [("lln-1:thuiszitter:2026-09-07", opened[0])]
