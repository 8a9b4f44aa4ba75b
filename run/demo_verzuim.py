"""Verzuim for the demo region, so that the leerplicht inbox and the thuiszitter register have something
to show after ``make run``: the region's municipalities, SWV and schools, six pseudonymous pupils with
enrollments and absence, and one detection run as of today.

The six, all leerplichtig, each showing one rule (DOMAIN.md §4, issue 6):
two absent without a valid reason for weeks (thuiszitter, relatief), one whose enrollment ended three
weeks ago and who is enrolled nowhere (thuiszitter, absoluut), one absent for two school weeks
(dreigend), one absent a few hours twice a week (meldplicht), and one like the first who lives in
Leudal — so Roermond's leerplicht (``demo-leerplicht``) does not get that alert. Holiday days are left
out, as a school's register would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.access import Principal
from domain.roles import ADMIN
from domain.verzuim import default_calendar
from service import Service
from service.verzuim import Verzuim, today_in_nl

MUNICIPALITIES = {"Roermond": "0957", "Beesel": "0889", "Echt-Susteren": "1711", "Leudal": "1640"}
REGION = "zuid"
SYSTEM = Principal("demo", ADMIN, ())


@dataclass(frozen=True)
class DemoAbsence:
    """One demo pupil: where they live and go to school, and how they are absent."""

    pupil_id: str
    residence: str
    school: str
    absent_days: int
    """Unauthorised absence on every school day of the last this many school days."""
    hours_on: tuple[int, ...] = ()
    """Otherwise: 3 hours on these weekdays (0 = Monday) of the last four weeks."""
    left_days_ago: int | None = None


PUPILS = (
    DemoAbsence("demo-vz-01", "0957", "14PS00", absent_days=35),
    DemoAbsence("demo-vz-02", "0957", "03XF03", absent_days=26),
    DemoAbsence("demo-vz-03", "0957", "14PS03", absent_days=0, left_days_ago=21),
    DemoAbsence("demo-vz-04", "0957", "21CS02", absent_days=10),
    DemoAbsence("demo-vz-05", "0957", "03XF00", absent_days=0, hours_on=(0, 2)),
    DemoAbsence("demo-vz-06", "1640", "17GT00", absent_days=30),
)


def seed_demo_verzuim(service: Service, region: dict[str, Any], now: datetime) -> int:
    """Import the reference data and the pupils' records, then detect; how many alerts were raised."""
    today = today_in_nl(now)
    _reference(service, region, now)
    verzuim = Verzuim(service)
    raised = sum(verzuim.import_csv(SYSTEM, kind, content, now).detection.alerts  # detects for its pupils
                 for kind, content in (("inschrijvingen", _enrollments(today)), ("verzuim", _absences(today))))
    return raised + verzuim.detect(today, now).alerts


def _reference(service: Service, region: dict[str, Any], now: datetime) -> None:
    schools, swv = region["schools"], region["swv"]
    files = {
        "gemeenten": "cbs_code,naam\n" + "".join(f"{code},{name}\n" for name, code in MUNICIPALITIES.items()),
        "swvs": f"code,naam,sector\n{swv['code']},{swv['name']},vo\n",
        "scholen": "brin,naam,swv,soort,gemeente,vakantieregio\n" + "".join(
            f"{s['brin']},{s['name']},{swv['code']},vo,{MUNICIPALITIES[s['gemeente']]},{REGION}\n" for s in schools),
        "leerlingen": "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n" + "".join(
            f"{p.pupil_id},{p.school},{p.residence},2013-0{n + 1}-15,Demo,Leerling {n + 1}\n"
            for n, p in enumerate(PUPILS)),
    }
    for kind, content in files.items():
        service.import_csv(SYSTEM, kind, content, now)


def _enrollments(today: date) -> str:
    start = today - timedelta(days=150)
    rows = [f"{p.pupil_id},{p.school},{start.isoformat()},"
            f"{(today - timedelta(days=p.left_days_ago)).isoformat() if p.left_days_ago else ''}\n" for p in PUPILS]
    return "leerling_id,school,eerste_dag,laatste_dag\n" + "".join(rows)


def _absences(today: date) -> str:
    days = _school_days_before(today, 40)
    rows = []
    for pupil in PUPILS:
        rows += [f"{pupil.pupil_id},{d.isoformat()},6,nee,onbekend\n"
                 for d in days[len(days) - pupil.absent_days:]]
        rows += [f"{pupil.pupil_id},{d.isoformat()},3,nee,onbekend\n" for d in days[-20:]
                 if d.weekday() in pupil.hours_on]
    return "leerling_id,datum,uren,geoorloofd,reden\n" + "".join(rows)


def _school_days_before(today: date, count: int) -> list[date]:
    """The last ``count`` school days of the region before today, oldest first."""
    calendar, day = default_calendar(REGION), today - timedelta(days=1)
    found: list[date] = []
    while len(found) < count:
        if calendar.is_school_day(day):
            found.append(day)
        day -= timedelta(days=1)
    return found[::-1]
