"""Thuiszitter and verzuim detection for one pupil: pure functions from records to signals and
register episodes (issue 6).

**As of.** ``detect(..., as_of=D)`` looks only at days strictly before ``D``: the records of a
day are complete once that day is over. A threshold "reached on" day X is therefore reported by
every run with ``as_of > X``, and by none before.

**Present and absent.** Every unauthorised hour on an enrolled school day counts towards
meldplicht. For the thuiszitter rules (dreigend, relatief) a school day counts as *out of school*
only when the pupil was not at school that day: unauthorised hours reaching
``hele_dag_vanaf_procent`` (default 100) of the day's hours (see ``pupil.whole_days``). Any other
enrolled school day -- no record, or a day with some attendance -- is a day *at school* and ends a
period out of school: a pupil who skips a lesson a day is a verzuim case, not a thuiszitter
(DOMAIN.md §4). Records on weekends, holidays or days without enrollment are ignored. Days under
any running vrijstelling count as neither: they end a period out of school and are excluded from
meldplicht hours.

**Who counts.** Meldplicht and dreigend thuiszitter apply while the pupil is leerplichtig or
kwalificatieplichtig (from the start of leerplicht to the 18th birthday or a startkwalificatie).
The thuiszitter rules (relatief, absoluut, verborgen) apply to both too (Leerplichtwet art. 4a);
a profile may set ``kwalificatieplicht_telt: false`` to limit them to leerplichtigen. Each episode
records the duty the pupil was under when it became a thuiszitter.

**Hidden thuiszitters.** Whole school days of authorised absence with a reason in
``HIDDEN_REASONS`` (thuis in overleg, thuis by a knooppunt agreement, waiting for an S(B)O/SO
place, schorsing) form their own periods, counted in school weeks exactly like relatief: more
than ``thuiszitter_weken`` complete school weeks make a ``verborgen`` episode and one
``verborgen_thuiszitter`` signal to the SWV coordinator, keyed ``<pupil>:verborgen:<first day>``.

**Episodes.** A period out of school (``stretches``) starts on its first absent school day or its
first day without enrollment, and ends on return to school or placement (the first school day
present while enrolled, at any school). It becomes a thuiszitter **episode** -- a register row and
one ``thuiszitter`` signal keyed ``<pupil>:thuiszitter:<first day>`` -- when one of these is reached:

* relatief: more than ``thuiszitter_weken`` consecutive school weeks absent. A school week counts
  when every school day in it was absent; it is reached on the first absent school day after
  that many complete weeks (absent from a Monday for 4 weeks: reached on the Monday of week 5).
  Weeks without school days neither count nor break the run.
* absoluut: more than ``absoluut_dagen`` consecutive days without enrollment (reached on day 8).

The earlier of the two gives the episode's kind. Shorter periods produce no register row.
Weeks and thresholds are counted on each school's own calendar.

**Stability.** Keys depend only on the pupil, the kind and the first day of the period (plus the
school and day for meldplicht), so running detection again with the same or later records yields
the same keys. The caller must pass the records of an open episode from its first day on (the
register knows it), or the episode would seem to start later.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Final

from domain.roles import LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.verzuim import texts, timeline
from domain.verzuim.calendar import week_of
from domain.verzuim.leerplicht import school_year, school_year_end
from domain.verzuim.meldplicht import meldplicht_signals
from domain.verzuim.model import Detection, Duty, Episode, PupilRecords, Signal, Soort, VerzuimSettings
from domain.verzuim.pupil import Context, absent_minutes, build_context, whole_days
from domain.verzuim.stretches import Item, Stretch, Weeks, count_weeks, group
from domain.verzuim.timeline import CalendarLookup

DEFAULT_SETTINGS: Final = VerzuimSettings()


def detect(records: PupilRecords, *, calendars: CalendarLookup, as_of: date,
           settings: VerzuimSettings = DEFAULT_SETTINGS, records_from: date | None = None) -> Detection:
    """All signals and register episodes for one pupil as of ``as_of`` (see the module docstring).

    ``records_from`` is the first day from which enrollments and absences are known to be complete
    (for instance the day enrollment registration went live): earlier days count as neither
    absent nor unenrolled. Pass a fixed date, not a moving window, or episode starts would move.
    """
    context = build_context(records, timeline.resolve(calendars), as_of, settings, records_from)
    absent = absent_minutes(context)
    signals: list[Signal] = list(meldplicht_signals(context, absent))
    episodes: list[Episode] = []
    for stretch in group(out_of_school(context, whole_days(context)), context.segments, context.horizon):
        found_signals, found_episode = stretch_findings(context, stretch)
        signals.extend(found_signals)
        episodes.extend(found_episode)
    hidden_signals, hidden_episodes = hidden_findings(context)
    signals.extend(hidden_signals)
    episodes.extend(hidden_episodes)
    vrijstelling_signals, vrijstelling_episodes = vrijstelling_findings(context)
    return Detection(records.pupil.pupil_id, (*signals, *vrijstelling_signals), (*episodes, *vrijstelling_episodes))


def detect_all(pupils: Iterable[PupilRecords], *, calendars: CalendarLookup, as_of: date,
               settings: VerzuimSettings = DEFAULT_SETTINGS, records_from: date | None = None) -> Iterator[Detection]:
    """:func:`detect` for every candidate pupil, lazily."""
    calendar_of = timeline.resolve(calendars)
    for records in pupils:
        yield detect(records, calendars=calendar_of, as_of=as_of, settings=settings, records_from=records_from)


def out_of_school(context: Context, absent_days: Iterable[int]) -> list[Item]:
    """Whole school days absent and the unenrolled periods under the thuiszitter duty, sorted."""
    items = [Item(ordinal, ordinal, enrolled=True) for ordinal in absent_days]
    first, last = context.thuiszitter_duty[0], min(context.thuiszitter_duty[1], context.horizon)
    for segment in context.segments:
        if segment.enrollment is None and segment.first <= last and segment.last >= first:
            items.extend(Item(a, b, enrolled=False)
                         for a, b in _without(max(first, segment.first), min(last, segment.last), context.exempt))
    items.sort(key=lambda item: item.first)
    return items


def _without(first: int, last: int, holes: tuple[tuple[int, int], ...]) -> Iterator[tuple[int, int]]:
    """The parts of ``first..last`` outside the sorted intervals ``holes``."""
    cursor = first
    for hole_first, hole_last in holes:
        if hole_last < cursor or hole_first > last:
            continue
        if hole_first > cursor:
            yield cursor, hole_first - 1
        cursor = max(cursor, hole_last + 1)
    if cursor <= last:
        yield cursor, last


def stretch_findings(context: Context, stretch: Stretch) -> tuple[list[Signal], list[Episode]]:
    """Dreigend, thuiszitter and escalatie signals of one period out of school, and its episode."""
    if not could_reach(context, stretch):
        return [], []
    weeks = count_weeks(stretch, context.segments)
    signals = dreigend_signal(context, stretch, weeks)
    reached = thuiszitter_reached(context, stretch, weeks)
    if reached is None:
        return signals, []
    soort, day = reached
    signals.append(thuiszitter_signal(context, stretch, weeks, soort, day))
    signals.extend(escalatie_signal(context, stretch, weeks, soort, day))
    last_day = None if stretch.return_day is None else date.fromordinal(stretch.last_out)
    episode = Episode(context.pupil_id, soort, date.fromordinal(stretch.first), last_day,
                      context.brin_at(stretch.last_out), context.records.pupil.residence_cbs,
                      len(weeks.out_sundays), duty_on(context, day))
    return signals, [episode]


def duty_on(context: Context, ordinal: int) -> Duty:
    """``leerplicht`` up to its last day (art. 4), ``kwalificatieplicht`` after it (art. 4a)."""
    return "leerplicht" if ordinal <= context.leerplicht_last else "kwalificatieplicht"


def hidden_findings(context: Context) -> tuple[list[Signal], list[Episode]]:
    """Hidden thuiszitters: periods of whole days at home with a hidden reason (see the module docstring)."""
    days = whole_days(context, hidden=True)
    if not days:
        return [], []
    signals: list[Signal] = []
    episodes: list[Episode] = []
    items = [Item(ordinal, ordinal, enrolled=True) for ordinal in days]
    for stretch in group(items, context.segments, context.horizon):
        if not could_reach(context, stretch):
            continue
        weeks = count_weeks(stretch, context.segments)
        reached = _relatief(context, stretch, weeks)
        if reached is None:
            continue
        day = reached[1]
        since, brin = date.fromordinal(stretch.first), context.brin_at(day)
        weeks_out = weeks.out_before(day)
        signals.append(Signal(
            key=_key(context, "verborgen", stretch), kind="verborgen_thuiszitter", pupil_id=context.pupil_id,
            reached_on=date.fromordinal(day), since=since, school_brin=brin,
            residence_cbs=context.records.pupil.residence_cbs, recipients=(SWV_COORDINATOR,),
            summary=texts.verborgen(context.pupil_id, brin, context.settings.thuiszitter_weken, since,
                                    date.fromordinal(day)),
            school_weeks=weeks_out,
        ))
        last_day = None if stretch.return_day is None else date.fromordinal(stretch.last_out)
        episodes.append(Episode(context.pupil_id, "verborgen", since, last_day, context.brin_at(stretch.last_out),
                                context.records.pupil.residence_cbs, len(weeks.out_sundays), duty_on(context, day)))
    return signals, episodes


def could_reach(context: Context, stretch: Stretch) -> bool:
    """A cheap necessary condition for any stretch signal, so that most short stretches (a day or
    two of truancy) skip the week count: enough ISO weeks for dreigend or relatief, or an unenrolled
    period long enough for absoluut.
    """
    settings = context.settings
    weeks_touched = week_of(stretch.end) - week_of(stretch.first) + 1
    if weeks_touched >= min(settings.dreigend_weken, settings.thuiszitter_weken + 1):
        return True
    return any(not item.enrolled and item.last - item.first + 1 > settings.absoluut_dagen for item in stretch.items)


def _key(context: Context, kind: str, stretch: Stretch) -> str:
    return f"{context.pupil_id}:{kind}:{date.fromordinal(stretch.first).isoformat()}"


def dreigend_signal(context: Context, stretch: Stretch, weeks: Weeks) -> list[Signal]:
    """``dreigend_weken`` complete school weeks absent: reached on the last school day of the last."""
    needed = context.settings.dreigend_weken
    if len(weeks.absent) < needed:
        return []
    reached = weeks.absent[needed - 1]
    brin, since = context.brin_at(reached), date.fromordinal(stretch.first)
    return [Signal(
        key=_key(context, "dreigend_thuiszitter", stretch), kind="dreigend_thuiszitter",
        pupil_id=context.pupil_id, reached_on=date.fromordinal(reached), since=since, school_brin=brin,
        residence_cbs=context.records.pupil.residence_cbs, recipients=(ZORGCOORDINATOR, SWV_COORDINATOR),
        summary=texts.dreigend(context.pupil_id, brin, needed, since), school_weeks=needed,
    )]


def thuiszitter_reached(context: Context, stretch: Stretch, weeks: Weeks) -> tuple[Soort, int] | None:
    """``(soort, day)`` of the earlier of the relatief and absoluut thresholds, if either was reached."""
    found = [reached for reached in (_relatief(context, stretch, weeks), _absoluut(context, stretch))
             if reached is not None]
    return min(found, key=lambda reached: reached[1]) if found else None


def _relatief(context: Context, stretch: Stretch, weeks: Weeks) -> tuple[Soort, int] | None:
    needed = context.settings.thuiszitter_weken
    if len(weeks.absent) < needed:
        return None
    day = timeline.first_school_day(context.segments, weeks.absent[needed - 1] + 1, stretch.end)
    first, last = context.thuiszitter_duty
    return None if day is None or not first <= day <= last else ("relatief", day)


def _absoluut(context: Context, stretch: Stretch) -> tuple[Soort, int] | None:
    days = context.settings.absoluut_dagen
    for item in stretch.items:
        if not item.enrolled and item.last - item.first + 1 > days:
            return "absoluut", item.first + days
    return None


def thuiszitter_signal(context: Context, stretch: Stretch, weeks: Weeks, soort: Soort, reached: int) -> Signal:
    """The one alert per episode to leerplicht of the municipality of residence."""
    pupil, settings = context.records.pupil, context.settings
    since, day, brin = date.fromordinal(stretch.first), date.fromordinal(reached), context.brin_at(reached)
    if soort == "relatief":
        summary = texts.thuiszitter_relatief(pupil.pupil_id, brin, settings.thuiszitter_weken, since, day)
    else:
        unenrolled_since = date.fromordinal(reached - settings.absoluut_dagen)
        summary = texts.thuiszitter_absoluut(pupil.pupil_id, brin, settings.absoluut_dagen, since, day,
                                             unenrolled_since=unenrolled_since,
                                             leerplichtig=reached <= context.leerplicht_last)
    return Signal(
        key=_key(context, "thuiszitter", stretch), kind="thuiszitter", pupil_id=pupil.pupil_id, reached_on=day,
        since=since, school_brin=brin, residence_cbs=pupil.residence_cbs, recipients=(LEERPLICHT,),
        summary=summary, soort=soort, school_weeks=weeks.out_before(reached),
    )


def escalatie_signal(context: Context, stretch: Stretch, weeks: Weeks, soort: Soort,
                     reached: int) -> list[Signal]:
    """An episode still open ``escalatie_maanden`` after its start (and not before it was a thuiszitter)."""
    months = context.settings.escalatie_maanden
    since = date.fromordinal(stretch.first)
    day = max(add_months(since, months).toordinal(), reached)
    if day > context.horizon or (stretch.return_day is not None and stretch.return_day <= day):
        return []
    brin = context.brin_at(day)
    return [Signal(
        key=_key(context, "thuiszitter", stretch) + ":escalatie", kind="escalatie", pupil_id=context.pupil_id,
        reached_on=date.fromordinal(day), since=since, school_brin=brin,
        residence_cbs=context.records.pupil.residence_cbs, recipients=(SWV_COORDINATOR, LEERPLICHT),
        summary=texts.escalatie(context.pupil_id, brin, months, since, weeks.out_before(day), soort),
        soort=soort, school_weeks=weeks.out_before(day),
    )]


def add_months(day: date, months: int) -> date:
    """Calendar months later, the day clamped to the month's length (31 January + 1 = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def vrijstelling_findings(context: Context) -> tuple[list[Signal], list[Episode]]:
    """Register rows for 5-onder-a vrijstellingen and the reminder before one ends with the school year.

    A 5a without ``last_day`` is taken to end with the school year it runs in (5a is granted for at
    most a school year at a time), so it gets a reminder every school year.
    """
    signals: list[Signal] = []
    episodes: list[Episode] = []
    for vrijstelling in context.records.vrijstellingen:
        first = vrijstelling.first_day.toordinal()
        if vrijstelling.kind != "5a" or first > context.horizon:
            continue
        ends = vrijstelling.last_day or school_year_end(date.fromordinal(max(first, context.horizon)))
        episodes.append(_vrijstelling_episode(context, first, vrijstelling.last_day))
        signals.extend(_herinnering(context, vrijstelling.first_day, ends))
    return signals, episodes


def _vrijstelling_episode(context: Context, first: int, last_day: date | None) -> Episode:
    closed = last_day is not None and last_day.toordinal() <= context.horizon
    end = last_day.toordinal() if last_day is not None and closed else context.horizon
    calendar = timeline.at(context.segments, first).calendar
    weeks = calendar.count_school_weeks_ord(first, end)
    return Episode(context.pupil_id, "vrijstelling", date.fromordinal(first), last_day if closed else None,
                   context.brin_at(first), context.records.pupil.residence_cbs, weeks)


def _herinnering(context: Context, since: date, ends: date) -> list[Signal]:
    settings = context.settings
    due = date(ends.year, settings.herinnering_maand, settings.herinnering_dag)
    if (ends.month, ends.day) != (7, 31) or not due.toordinal() <= context.horizon < ends.toordinal():
        return []
    return [Signal(
        key=f"{context.pupil_id}:vrijstelling_herinnering:{since.isoformat()}:{school_year(ends)}",
        kind="vrijstelling_herinnering", pupil_id=context.pupil_id, reached_on=due, since=since,
        school_brin=context.brin_at(since.toordinal()), residence_cbs=context.records.pupil.residence_cbs,
        recipients=(SWV_COORDINATOR,), summary=texts.herinnering(context.pupil_id, since, ends),
    )]
