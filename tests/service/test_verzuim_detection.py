"""The daily detection over the database, on SQLite and PostgreSQL: which pupils it reads, absoluut
verzuim, the 3-month escalation and the 5-onder-a reminder, each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from domain.access import Principal
from domain.durations import NL
from infra.delivery.alerts import AlertNotFound
from infra.reference import resources
from infra.store.tables import alerts, audit_log
from infra.store.verzuim_tables import absences, enrollments, thuiszitter_episodes, vrijstellingen
from infra.verzuim.detection import DetectionConfig, candidates
from service import Service
from service.verzuim import Verzuim
from tests.databases import BACKENDS, fresh_service

LOADED = datetime(2026, 8, 20, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service on a fresh database with Roermond, SWV VO3102 and school 14PS03 (VO, region zuid)."""
    with fresh_service(request.param, tmp_path_factory) as made:
        for kind, content in (("gemeenten", "cbs_code,naam\n0957,Roermond\n"),
                              ("swvs", "code,naam,sector\nVO3102,V,vo\n"),
                              ("scholen", ("brin,naam,swv,soort,gemeente,vakantieregio\n"
                                          "14PS03,A,VO3102,vo,0957,zuid\n"))):
            resources.import_csv(made.engine, kind, content, LOADED)
        yield made


def pupils(service: Service, *ids: str) -> None:
    rows = "".join(f"{i},14PS03,0957,2013-03-01,Sam,Jansen\n" for i in ids)
    resources.import_csv(service.engine, "leerlingen",
                         "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n" + rows, LOADED)


def load(service: Service, table: Any, rows: list[dict[str, Any]]) -> None:
    with service.engine.begin() as conn:
        conn.execute(insert(table), [{**row, "recorded_at": LOADED} for row in rows])


def enroll(service: Service, pupil_id: str, last_day: date | None = None) -> None:
    load(service, enrollments, [{"pupil_id": pupil_id, "school_brin": "14PS03", "first_day": date(2026, 8, 24),
                                 "last_day": last_day}])


def absent(service: Service, pupil_id: str, first: date, last: date) -> None:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    load(service, absences, [{"pupil_id": pupil_id, "day": d, "hours": 6.0, "authorized": False, "reason": ""}
                             for d in days if d.weekday() < 5])


def run(service: Service, as_of: date) -> dict[str, Any]:
    """The daily run as of ``as_of``, at 06:00 that day."""
    return Verzuim(service).detect(as_of, datetime(as_of.year, as_of.month, as_of.day, 6, tzinfo=NL)).counts()


def alerts_of(service: Service, pupil_id: str) -> list[tuple[str, str, str]]:
    with service.engine.connect() as conn:
        return sorted((r.kind, r.audience_role, r.audience_scope) for r in conn.execute(
            select(alerts).where(alerts.c.pupil_id == pupil_id)))


def register(service: Service, pupil_id: str) -> list[Any]:
    with service.engine.connect() as conn:
        return list(conn.execute(select(thuiszitter_episodes).where(thuiszitter_episodes.c.pupil_id == pupil_id)))


def test_the_daily_run_reads_only_pupils_whose_detection_can_change(service: Service) -> None:
    """Recent unauthorised absence, an enrollment that just ended and a running 5a make a candidate;
    absence a month ago or authorised absence yesterday does not.
    """
    pupils(service, "recent", "old", "sick", "left", "exempt")
    for pupil_id in ("recent", "old", "sick", "exempt"):
        enroll(service, pupil_id)
    enroll(service, "left", date(2026, 10, 2))
    absent(service, "recent", date(2026, 10, 7), date(2026, 10, 7))
    absent(service, "old", date(2026, 9, 7), date(2026, 9, 8))
    load(service, absences, [{"pupil_id": "sick", "day": date(2026, 10, 8), "hours": 6.0, "authorized": True,
                              "reason": "ziek"}])
    load(service, vrijstellingen, [{"pupil_id": "exempt", "kind": "5a", "first_day": date(2026, 9, 1),
                                    "last_day": None}])
    with service.engine.connect() as conn:
        assert candidates(conn, date(2026, 10, 9), DetectionConfig()) == ["exempt", "left", "recent"]


def test_a_leerplichtig_pupil_enrolled_nowhere_for_more_than_seven_days_is_an_absoluut_thuiszitter(
        service: Service) -> None:
    """Uitgeschreven on Friday 2 October and enrolled nowhere since: day 8 without school is 10 October, so the
    run as of the 10th finds nothing and the run as of the 11th alerts leerplicht and opens the case at the
    last school.
    """
    pupils(service, "lln-a")
    enroll(service, "lln-a", date(2026, 10, 2))
    assert run(service, date(2026, 10, 10))["episodes_new"] == 0
    assert run(service, date(2026, 10, 11))["cases_opened"] == 1
    assert alerts_of(service, "lln-a") == [("thuiszitter", "leerplicht", "0957")]
    [row] = register(service, "lln-a")
    assert (row.kind, row.first_day, row.last_day, row.school_brin) == ("absoluut", date(2026, 10, 3), None,
                                                                         "14PS03")


def test_three_months_at_home_escalates_to_the_swv_and_again_to_leerplicht_once(service: Service) -> None:
    """Absent from 7 September to 11 December: the thuiszitter alert in October, the escalation once the
    7th of December is over, to the SWV coordinator and leerplicht, however often the run repeats.
    """
    pupils(service, "lln-e")
    enroll(service, "lln-e")
    absent(service, "lln-e", date(2026, 9, 7), date(2026, 12, 11))
    def escalations() -> list[tuple[str, str, str]]:
        return [a for a in alerts_of(service, "lln-e") if a[0] == "escalatie"]

    run(service, date(2026, 10, 6))
    run(service, date(2026, 12, 7))
    assert escalations() == []
    for day in (8, 9, 10):
        run(service, date(2026, 12, day))
    assert [a for a in alerts_of(service, "lln-e") if a[0] in ("thuiszitter", "escalatie")] == [
        ("escalatie", "leerplicht", "0957"), ("escalatie", "swv_coordinator", "VO3102"),
        ("thuiszitter", "leerplicht", "0957")]
    [row] = register(service, "lln-e")
    assert [a["actie"] for a in row.actions] == ["dossier_geopend", "gemeld", "geescaleerd"]


def test_a_5a_vrijstelling_stays_in_the_register_and_reminds_the_swv_from_1_june(service: Service) -> None:
    """A 5-onder-a vrijstelling from 1 September without an end: a register row of kind vrijstelling, and one
    reminder to the SWV coordinator from 1 June (it ends with the school year, renew before 1 July).
    """
    pupils(service, "lln-v")
    load(service, vrijstellingen, [{"pupil_id": "lln-v", "kind": "5a", "first_day": date(2026, 9, 1),
                                    "last_day": None}])
    run(service, date(2027, 6, 1))
    assert alerts_of(service, "lln-v") == []
    run(service, date(2027, 6, 2))
    run(service, date(2027, 6, 3))
    assert alerts_of(service, "lln-v") == [("vrijstelling_herinnering", "swv_coordinator", "VO3102")]
    [row] = register(service, "lln-v")
    assert (row.kind, row.first_day, row.last_day) == ("vrijstelling", date(2026, 9, 1), None)
    assert [a["actie"] for a in row.actions] == ["herinnering"]


def test_the_absence_behind_a_thuiszitter_alert_is_shown_per_week_with_holiday_weeks_marked(
    service: Service,
) -> None:
    """Absent from 7 September to 30 October (herfstvakantie zuid: 17-25 October): leerplicht of the pupil's
    municipality reads the weeks of its alert, the autumn-holiday week with no school days; the read is
    audited. Another municipality's leerplicht and the zorgcoördinator (not their inbox) get AlertNotFound.
    """
    pupils(service, "lln-w")
    enroll(service, "lln-w")
    absent(service, "lln-w", date(2026, 9, 7), date(2026, 10, 16))
    absent(service, "lln-w", date(2026, 10, 26), date(2026, 10, 30))
    run(service, date(2026, 11, 2))
    leerplicht = Principal("lp-1", "leerplicht", ("0957",))
    [alert], _ = service.alerts(leerplicht, "new", 10, 0, LOADED)
    verzuim, at = Verzuim(service), datetime(2026, 11, 2, 9, tzinfo=NL)
    weeks = verzuim.absence_at_alert(leerplicht, alert.id, date(2026, 10, 5), date(2026, 11, 1), at)
    assert weeks is not None
    assert [(w.monday.day, w.school_days, w.unauthorized_days, w.absent_all_week) for w in weeks] == [
        (5, 5, 5, True), (12, 5, 5, True), (19, 0, 0, False), (26, 5, 5, True)]
    with service.engine.connect() as conn:
        audited = conn.execute(select(audit_log.c.action, audit_log.c.resource)
                               .where(audit_log.c.user_id == "lp-1")).all()
    assert ("verzuim.read", "pupil:lln-w") in [tuple(r) for r in audited]
    for other in (Principal("lp-2", "leerplicht", ("0935",)), Principal("zc-1", "zorgcoordinator", ("14PS03",))):
        with pytest.raises(AlertNotFound):
            verzuim.absence_at_alert(other, alert.id, date(2026, 10, 5), date(2026, 11, 1), at)


@pytest.mark.parametrize("kind", BACKENDS)
def test_an_swv_profile_moves_the_dreigend_threshold_for_its_schools(
    kind: str, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SWV PO2899 says 'dreigend' after 3 school weeks: absent from 7 September, a pupil of its school has
    no signal as of 21 September (2 weeks) and one as of 28 September (3 weeks).
    """
    folder = tmp_path_factory.mktemp("profiles")
    (folder / "po-2899.yaml").write_text("code: po-2899\nname: SWV PO 28-99\nsector: po\nswv_codes: [PO2899]\n"
                                         "cascade: {levels: [a, b]}\nverzuim: {dreigend_weken: 3}\n", encoding="utf-8")
    with fresh_service(kind, tmp_path_factory) as made:
        service = Service.from_settings(made.settings.model_copy(update={"profiles_dir": folder}))
        for table, header, row in (
                ("gemeenten", "cbs_code,naam", "0957,Roermond"), ("swvs", "code,naam,sector", "PO2899,P,po"),
                ("scholen", "brin,naam,swv,soort,gemeente,vakantieregio", "28XX00,B,PO2899,po,0957,zuid"),
                ("leerlingen", "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam",
                 "lln-d,28XX00,0957,2016-03-01,Sam,Jansen")):
            resources.import_csv(service.engine, table, f"{header}\n{row}\n", LOADED)
        load(service, enrollments, [{"pupil_id": "lln-d", "school_brin": "28XX00", "first_day": date(2026, 8, 24),
                                     "last_day": None}])
        absent(service, "lln-d", date(2026, 9, 7), date(2026, 9, 25))
        run(service, date(2026, 9, 21))
        assert [a for a in alerts_of(service, "lln-d") if a[0] == "dreigend_thuiszitter"] == []
        run(service, date(2026, 9, 28))
        assert ("dreigend_thuiszitter", "zorgcoordinator", "28XX00") in alerts_of(service, "lln-d")
        service.engine.dispose()


def test_a_thuiszitter_back_at_school_is_reported_once_to_leerplicht_and_the_swv(service: Service) -> None:
    """Absent 7 September to 16 October, then the autumn holiday, then present from 26 October: the run of
    2 November ends the episode and tells leerplicht of the residence and the SWV coordinator once (the
    next days' runs add nothing); the zorgcoördinator is not told, the case stays open for people to close.
    """
    pupils(service, "lln-t")
    enroll(service, "lln-t")
    absent(service, "lln-t", date(2026, 9, 7), date(2026, 10, 16))
    run(service, date(2026, 10, 19))
    assert [a for a in alerts_of(service, "lln-t") if a[0] == "thuiszitter_terug"] == []
    for day in (2, 3, 4):
        run(service, date(2026, 11, day))
    assert [a for a in alerts_of(service, "lln-t") if a[0] == "thuiszitter_terug"] == [
        ("thuiszitter_terug", "leerplicht", "0957"), ("thuiszitter_terug", "swv_coordinator", "VO3102")]
    [row] = register(service, "lln-t")
    assert row.last_day is not None
    [alert], _ = service.alerts(Principal("lp-1", "leerplicht", ("0957",)), "new", 1, 0, LOADED)
    assert alert.kind == "thuiszitter_terug"
    assert alert.case_id == row.case_id is not None
    assert "Terug naar onderwijs" in alert.title
    assert "Jansen" not in alert.title
    weeks = Verzuim(service).absence_at_alert(Principal("lp-1", "leerplicht", ("0957",)), alert.id,
                                              date(2026, 10, 12), date(2026, 11, 1), LOADED)
    assert weeks is not None
    assert [(w.monday.day, w.unauthorized_days) for w in weeks] == [(12, 5), (19, 0), (26, 0)]
