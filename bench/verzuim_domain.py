"""Micro-benchmark of the pure verzuim detection: microseconds per candidate pupil.

    .venv/bin/python bench/verzuim_domain.py [--pupils 100000] [--seed 6] [--as-of 2027-01-18]

Generates candidate pupils as the daily flow would pass them (only pupils with unauthorised
absence in the last months, unenrolled leerplichtigen and vrijstellingen), spread over 600
schools in the three regions (one in ten with its own voorjaarsvakantie), then times ``detect``
over all of them. Generation and the first use of each calendar are not timed.

The generated records are moved out of the garbage collector's view (``gc.freeze``) before
timing: a flow streams pupils in batches and never holds a million records at once, and without
it the collector's full passes over them dominate as N grows.

Mix (share of candidates): sporadic truants 78% (1-10 records of 1-6 hours), runs of absence
of 1-3 weeks 14%, thuiszitters 4% (every school day absent for 5-20 weeks), unenrolled 2%
(a gap of 1-60 days), vrijstellingen 2%.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from domain.verzuim import (
    Absence,
    Enrollment,
    Holiday,
    Pupil,
    PupilRecords,
    SchoolCalendar,
    Vrijstelling,
    default_calendar,
    detect,
)
from domain.verzuim.model import SchoolKind, VrijstellingKind

RECORDS_FROM = date(2024, 8, 1)


def schools(count: int = 600) -> dict[str, SchoolCalendar]:
    calendars = {}
    for n in range(count):
        calendar = default_calendar(("noord", "midden", "zuid")[n % 3])
        if n % 10 == 0:
            calendar = calendar.with_holidays([Holiday("voorjaarsvakantie", date(2027, 2, 6), date(2027, 2, 14))])
        calendars[f"{n:02d}{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}"] = calendar
    return calendars


def school_days(calendar: SchoolCalendar, first: date, last: date) -> list[date]:
    return [first + timedelta(days=d) for d in range((last - first).days + 1)
            if calendar.is_school_day(first + timedelta(days=d))]


class Generator:
    def __init__(self, rng: random.Random, calendars: dict[str, SchoolCalendar], as_of: date) -> None:
        self.rng, self.calendars, self.as_of = rng, calendars, as_of
        self.brins = list(calendars)
        self.window = {brin: school_days(cal, as_of - timedelta(days=120), as_of - timedelta(days=1))
                       for brin, cal in calendars.items()}

    def pupil(self, n: int, kind: str) -> PupilRecords:
        rng = self.rng
        pupil = Pupil(f"P{n:07d}", date(2010, 1, 1) + timedelta(days=rng.randrange(0, 365 * 9)), f"GM{n % 342:04d}")
        brin = rng.choice(self.brins)
        school_kind: SchoolKind = "po" if pupil.birth_date.year >= 2014 else "vo"
        enrollment = Enrollment(pupil.pupil_id, brin, school_kind, date(2018 + n % 6, 8, 20))
        make: Callable[[PupilRecords], PupilRecords] = getattr(self, kind)
        return make(PupilRecords(pupil, (enrollment,)))

    def _absences(self, records: PupilRecords, days: list[date], low: float, high: float) -> PupilRecords:
        pid = records.pupil.pupil_id
        absences = tuple(Absence(pid, day, round(self.rng.uniform(low, high), 1), authorized=False,
                                 reason="ongeoorloofd")
                         for day in days)
        sick = self.rng.sample(days, min(2, len(days)))
        extra = tuple(Absence(pid, day, 2.0, authorized=True, reason="ziek") for day in sick)
        return PupilRecords(records.pupil, records.enrollments, absences + extra, records.vrijstellingen)

    def sporadic(self, records: PupilRecords) -> PupilRecords:
        days = self.window[records.enrollments[0].school_brin]
        return self._absences(records, sorted(self.rng.sample(days, self.rng.randint(1, 10))), 1, 6)

    def runs(self, records: PupilRecords) -> PupilRecords:
        days = self.window[records.enrollments[0].school_brin]
        start = self.rng.randrange(0, len(days) - 15)
        return self._absences(records, days[start:start + self.rng.randint(5, 15)], 4, 7)

    def thuiszitter(self, records: PupilRecords) -> PupilRecords:
        enrollment = records.enrollments[0]
        calendar = self.calendars[enrollment.school_brin]
        first = self.as_of - timedelta(weeks=self.rng.randint(5, 20))
        return self._absences(records, school_days(calendar, first, self.as_of), 5, 7)

    def unenrolled(self, records: PupilRecords) -> PupilRecords:
        enrollment = records.enrollments[0]
        left = self.as_of - timedelta(days=self.rng.randint(1, 60))
        ended = Enrollment(enrollment.pupil_id, enrollment.school_brin, enrollment.school_kind,
                           enrollment.first_day, left)
        return PupilRecords(records.pupil, (ended,))

    def vrijstelling(self, records: PupilRecords) -> PupilRecords:
        kinds: list[VrijstellingKind] = ["5a", "5a", "5b", "11"]
        kind = self.rng.choice(kinds)
        vrijstelling = Vrijstelling(records.pupil.pupil_id, kind, date(2026, 8, 1), date(2027, 7, 31))
        return PupilRecords(records.pupil, records.enrollments, (), (vrijstelling,))


def counts_of(pupils: list[tuple[str, PupilRecords]]) -> Counter[str]:
    return Counter(kind for kind, _ in pupils)


MIX = (("sporadic", 78), ("runs", 14), ("thuiszitter", 4), ("unenrolled", 2), ("vrijstelling", 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2027, 1, 18))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    calendars = schools()
    for calendar in calendars.values():  # build each calendar's indexes outside the timing
        calendar.school_weeks_before_ord(args.as_of.toordinal())
    generator = Generator(rng, calendars, args.as_of)
    kinds = [kind for kind, share in MIX for _ in range(share)]
    pupils = [(kind, generator.pupil(n, kind)) for n in range(args.pupils) for kind in [kinds[n % len(kinds)]]]
    timings: dict[str, float] = dict.fromkeys(counts_of(pupils), 0.0)
    counts = counts_of(pupils)
    found: Counter[str] = Counter()
    gc.collect()
    gc.freeze()  # the generated records stay alive; don't let the collector rescan them (see docstring)
    started = time.perf_counter()
    for kind, records in pupils:
        t0 = time.perf_counter()
        detection = detect(records, calendars=calendars, as_of=args.as_of, records_from=RECORDS_FROM)
        timings[kind] += time.perf_counter() - t0
        found.update(signal.kind for signal in detection.signals)
        found["episodes"] += len(detection.episodes)
    total = time.perf_counter() - started
    print(f"{args.pupils} candidate pupils, as of {args.as_of}: {total:.2f} s, "
          f"{total / args.pupils * 1e6:.1f} µs per pupil (incl. loop overhead)")
    for kind, _ in MIX:
        print(f"  {kind:13s} {counts[kind]:7d} pupils  {timings[kind] / max(counts[kind], 1) * 1e6:8.1f} µs/pupil")
    print("found:", dict(sorted(found.items())))


if __name__ == "__main__":
    main()
