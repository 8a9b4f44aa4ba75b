"""Signed checkpoints of the audit log and the case events: what makes a rewrite or a truncation visible.

Both chains are plain SHA-256 (anyone may check them), so someone who can write to the database and
get past its triggers could delete the newest rows, or change a row and recompute every hash after
it, and the chain would still verify. A checkpoint pins both chains as they were: how many rows and the
hash of the last one, for the audit log and for the case events, signed with HMAC-SHA256 under a key
that lives outside the database (``LEERLINGROUTE_AUDIT_KEY``, or the file ``audit.key`` in the
checkpoint folder, made with mode 0600 on first use). Checkpoints are appended as JSON lines to
``audit-checkpoints.jsonl`` in the checkpoint folder (``LEERLINGROUTE_AUDIT_CHECKPOINT_DIR``, default
the data folder), also outside the database, by the hourly ``audit-checkpoint`` flow and by
``leerlingroute audit checkpoint``.

The checkpoints are themselves a chain: each carries its number (1, 2, …) and the previous checkpoint's
signature inside what it signs, so a line removed from the middle of the file, or lines reordered, no
longer link. Removing the *newest* lines breaks no link; :func:`verify` therefore also fails when the
newest checkpoint is older than ``audit_checkpoint_max_age_hours`` at the instant it is given, and notes
every stretch of more than 90 minutes between two checkpoints (a stopped schedule, or checkpoints removed
before the next one was taken: the age check cannot see those once a new checkpoint is there). Lines
written before checkpoints were chained (no number, no link) still verify by their signature; the first
chained checkpoint after them counts them and links to the last of them.

:func:`verify` finds fewer rows than a checkpoint counted, a hash at a checkpoint's row that differs, a
checkpoint whose signature is wrong, a checkpoint missing from or moved in the file, and a newest
checkpoint that is too old. What it cannot see: rows rewritten after the latest checkpoint (at most an
hour's worth) by someone who also holds the key; and the newest checkpoints removed together with the
rows they pinned once a later checkpoint was taken over the shortened log (only noted as a gap). Whoever can
write the checkpoint folder can do the latter, which is why it belongs on other storage than the
database (:func:`colocation_warning`).

A checkpoint is only written over chains that verify and a checkpoint file that verifies: the rows since
the previous checkpoint are walked (and the previous head must still be there), so a tampered log is
refused, never signed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, select
from sqlalchemy.engine import make_url

from infra.identity import audit
from infra.identity.audit import GENESIS, Verification
from infra.settings import Settings
from infra.store import event_chain
from infra.store.tables import audit_log, case_events

KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
GAP_NOTED = timedelta(minutes=90)
"""A longer stretch between two checkpoints means at least one hourly run is missing: verify notes it."""
GAPS_SHOWN = 3
"""verify lists the most recent such gaps, this many at most, and counts the rest."""


class CheckpointRefused(Exception):
    """No checkpoint is written: a chain does not verify, or the checkpoint file is not ours or not whole."""


@dataclass(frozen=True)
class Head:
    """A chain as a checkpoint saw it: how many rows (they are numbered densely from 1) and the last hash."""

    rows: int
    head: str


@dataclass(frozen=True)
class Checkpoint:
    """Both chains' heads at ``at``, signed; ``number`` and ``previous`` (the signature of the checkpoint
    before it, empty for the first) chain the checkpoints. Both are None on a line written before
    checkpoints were chained: its signature covers the heads and the instant only.
    """

    at: datetime
    audit: Head
    events: Head
    number: int | None = None
    previous: str | None = None
    signature: str = ""

    @property
    def chained(self) -> bool:
        """Whether the checkpoint carries its number and its link to the previous one."""
        return self.number is not None

    def signed_content(self) -> bytes:
        """What the signature covers: everything but the signature, as canonical JSON."""
        document: dict[str, Any] = {"at": self.at.astimezone(UTC).isoformat(),
                                    "audit": {"rows": self.audit.rows, "head": self.audit.head},
                                    "events": {"rows": self.events.rows, "head": self.events.head}}
        if self.chained:
            document.update(n=self.number, prev=self.previous or "")
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        """The checkpoint as one JSON line of the checkpoint file."""
        document = json.loads(self.signed_content())
        return json.dumps({**document, "signature": self.signature}, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Report:
    """What :func:`verify` found: both chains, how many checkpoints were checked, every problem (any makes
    ``leerlingroute audit verify`` fail) and notes worth reading that are not failures (gaps, old lines).
    """

    audit: Verification
    events: Verification
    checkpoints: int
    latest: Checkpoint | None
    problems: list[str]
    notes: list[str] = dataclasses.field(default_factory=list)


def folder(settings: Settings) -> Path:
    """Where the checkpoint file (and the key file, unless the key is a setting) lives."""
    return settings.audit_checkpoint_dir if settings.audit_checkpoint_dir is not None else settings.data_dir


def colocation_warning(settings: Settings) -> str | None:
    """A loud Dutch warning when the checkpoints (and the key file) lie in the SQLite database's folder."""
    database = make_url(settings.url)
    if database.get_backend_name() != "sqlite" or database.database in {None, "", ":memory:"}:
        return None
    here = folder(settings).resolve()
    if Path(str(database.database)).resolve().parent != here:
        return None
    what = ("de checkpoints van het auditlog staan" if settings.audit_key is not None
            else "de sleutel (audit.key) en de checkpoints van het auditlog staan")
    return (f"LET OP: {what} in dezelfde map als de SQLite-database ({here}). Wie in die map kan schrijven, "
            "kan ook het bewijs herschrijven: regels uit het auditlog verwijderen en de nieuwste checkpoints "
            "weghalen, zodat niemand het merkt. Zet ze op aparte opslag waar alleen bijgeschreven kan worden, "
            "of op een andere machine (LEERLINGROUTE_AUDIT_CHECKPOINT_DIR voor de checkpoints, "
            "LEERLINGROUTE_AUDIT_KEY voor de sleutel).")


def key(settings: Settings, *, create: bool) -> bytes | None:
    """The signing key: the setting, else the key file (made now if ``create``); None if there is none."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = folder(settings) / KEY_FILE
    if not path.exists() and create:
        _create_key_file(path)
    return path.read_text().strip().encode() if path.exists() else None


def _create_key_file(path: Path) -> None:
    """Write a new random key readable by its owner only; if another process made one first, keep that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
        file.flush()
        os.fsync(file.fileno())
    with contextlib.suppress(FileExistsError):
        os.link(draft, path)  # atomic: the first writer's key wins
    draft.unlink()


def sign(checkpoint: Checkpoint, secret: bytes) -> Checkpoint:
    """The checkpoint with its HMAC-SHA256 signature."""
    digest = hmac.new(secret, checkpoint.signed_content(), hashlib.sha256).hexdigest()
    return dataclasses.replace(checkpoint, signature=digest)


def signed_by(checkpoint: Checkpoint, secret: bytes | None) -> bool:
    """Whether the checkpoint's signature is ours."""
    return secret is not None and hmac.compare_digest(sign(checkpoint, secret).signature, checkpoint.signature)


def read(settings: Settings) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first (none if there is no file); a line that does not
    parse reads as a checkpoint with an empty signature, so it is reported, not skipped.
    """
    path = folder(settings) / CHECKPOINT_FILE
    if not path.exists():
        return []
    return [_parsed(line) for line in path.read_text().splitlines() if line.strip()]


def _parsed(line: str) -> Checkpoint:
    try:
        document: dict[str, Any] = json.loads(line)
        if ("n" in document) != ("prev" in document):
            raise KeyError("n" if "prev" in document else "prev")  # noqa: TRY301 - one way to say "malformed"
        number = document.get("n")
        return Checkpoint(datetime.fromisoformat(document["at"]), Head(**document["audit"]),
                          Head(**document["events"]), None if number is None else int(number),
                          None if number is None else str(document["prev"]), str(document["signature"]))
    except (ValueError, KeyError, TypeError):
        return Checkpoint(datetime.min.replace(tzinfo=UTC), Head(0, GENESIS), Head(0, GENESIS))


_CHAINS: dict[str, tuple[Table, Column[int]]] = {
    "audit": (audit_log, audit_log.c.seq), "events": (case_events, case_events.c.chain_seq)}


def take(engine: Engine, settings: Settings, now: datetime) -> Checkpoint:
    """Verify the checkpoint file and the rows written since the previous checkpoint, then sign both
    chains' heads, linked to the previous checkpoint, and append the checkpoint to the file;
    CheckpointRefused if a chain does not verify or the file holds a checkpoint that is not ours, or
    one is missing or out of place.
    """
    secret = key(settings, create=True)
    assert secret is not None  # noqa: S101 - made above when missing
    earlier = read(settings)
    previous = earlier[-1] if earlier else None
    if previous is not None and not signed_by(previous, secret):
        msg = f"het laatste checkpoint ({_when(previous)}) heeft een ongeldige handtekening"
        raise CheckpointRefused(msg)
    if problems := _file_problems(earlier, secret):
        msg = f"het checkpointbestand is niet in orde: {problems[0][0].lower()}{problems[0][1:].rstrip('.')}"
        raise CheckpointRefused(msg)
    with engine.connect() as conn:
        heads = {name: _extended(conn, name, getattr(previous, name) if previous else Head(0, GENESIS))
                 for name in _CHAINS}
    number = previous.number + 1 if previous is not None and previous.number is not None else len(earlier) + 1
    checkpoint = sign(Checkpoint(now.astimezone(UTC), heads["audit"], heads["events"], number,
                                 previous.signature if previous else ""), secret)
    path = folder(settings) / CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        file.write(checkpoint.line() + "\n")
        file.flush()
        os.fsync(file.fileno())
    return checkpoint


def _extended(conn: Connection, name: str, since: Head) -> Head:
    """The chain's head now, after checking that ``since`` is still in it and every row after it links."""
    table, position = _CHAINS[name]
    if since.rows:
        found = conn.execute(select(table.c.hash).where(position == since.rows)).scalar()
        if found != since.head:
            msg = f"{_NAMES[name]}: regel {since.rows} wijkt af van het vorige checkpoint"
            raise CheckpointRefused(msg)
    walked = audit.walk(conn, table, position, _CONTENT[name], after=since.rows, prev=since.head)
    if walked.broken_seq is not None:
        msg = f"{_NAMES[name]} verbroken bij regel {walked.broken_seq}: {walked.problem}"
        raise CheckpointRefused(msg)
    return Head(walked.rows, walked.head)


def verify(engine: Engine, settings: Settings, now: datetime | None = None) -> Report:
    """Walk both chains, hold them against every checkpoint in the file and the checkpoints against each
    other; with ``now``, also fail when the newest checkpoint is older than the maximum age (or, with no
    checkpoint at all, when the oldest row is). The benchmarks leave ``now`` out: they check the chains.
    """
    checkpoints = read(settings)
    secret = key(settings, create=False)
    valid = [c for c in checkpoints if signed_by(c, secret)]
    problems = _file_problems(checkpoints, secret)
    found = {name: _walk_all(engine, name, {getattr(c, name).rows for c in valid}) for name in _CHAINS}
    for name, chain in found.items():
        if chain.broken_seq is not None:
            problems.insert(0, f"{_NAMES[name]} verbroken bij regel {chain.broken_seq}: {chain.problem} "
                               f"({chain.rows} regels ervoor zijn intact).")
        problems += [p for c in valid if (p := _against(name, chain, getattr(c, name), c))]
    limit = timedelta(hours=settings.audit_checkpoint_max_age_hours)
    latest = max(valid, key=lambda c: c.at, default=None)
    if now is not None and (stale := _too_old(engine, latest, now, limit)):
        problems.append(stale)
    notes = _gaps(valid) + _old_format(valid)
    return Report(found["audit"], found["events"], len(checkpoints), latest, problems, notes)


def _file_problems(checkpoints: list[Checkpoint], secret: bytes | None) -> list[str]:
    """Every checkpoint that is not ours, then every break in the checkpoints' own chain (over ours)."""
    problems = [f"Het checkpoint van {_when(c)} heeft een ongeldige handtekening (of de sleutel ontbreekt)."
                for c in checkpoints if not signed_by(c, secret)]
    valid = [c for c in checkpoints if signed_by(c, secret)]
    before: Checkpoint | None = None
    for position, checkpoint in enumerate(valid, start=1):
        if problem := _link_problem(before, checkpoint, position):
            problems.append(problem)
        before = checkpoint
    return problems


def _link_problem(before: Checkpoint | None, checkpoint: Checkpoint, position: int) -> str | None:
    """What is wrong with ``checkpoint`` following ``before`` in the file (at ``position``), if anything."""
    if checkpoint.number is None:  # an old line: fine at the start of the file, in the order it was written
        if before is not None and before.chained:
            return (f"Het checkpoint van {_when(checkpoint)} heeft geen volgnummer (oud formaat) maar staat na "
                    "een geketend checkpoint: het is later ingevoegd of verplaatst.")
        if before is not None and (checkpoint.at < before.at or checkpoint.audit.rows < before.audit.rows
                                   or checkpoint.events.rows < before.events.rows):
            return (f"Het checkpoint van {_when(checkpoint)} staat na dat van {_when(before)} maar is ouder of "
                    "telt minder regels: de volgorde van de checkpoints is veranderd.")
        return None
    expected = before.number + 1 if before is not None and before.number is not None else position
    link = before.signature if before is not None else ""
    if checkpoint.number == expected and checkpoint.previous == link:
        return None
    this = f"het checkpoint van {_when(checkpoint)} (nr. {checkpoint.number})"
    if checkpoint.number > expected:
        missing = checkpoint.number - expected
        count = "ontbreekt 1 checkpoint" if missing == 1 else f"ontbreken {missing} checkpoints"
        where = f"Tussen het checkpoint van {_when(before)} en {this}" if before else f"Vóór {this}"
        return f"{where} {count}: de checkpoints zijn verwijderd of verplaatst."
    after = f" (van {_when(before)})" if before else ""
    return (f"{this[0].upper()}{this[1:]} sluit niet aan op het checkpoint ervoor{after}: de checkpoints zijn "
            "verplaatst of vervangen.")


def _too_old(engine: Engine, latest: Checkpoint | None, now: datetime, limit: timedelta) -> str | None:
    """The problem when the newest checkpoint (or, with none, the oldest row) is older than ``limit``."""
    hours = f"{limit.total_seconds() / 3600:g} uur"
    moment = f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if latest is not None:
        if now - latest.at <= limit:
            return None
        return (f"Het nieuwste checkpoint is van {_when(latest)}, meer dan {hours} voor {moment}: de geplande "
                "flow audit-checkpoint draait niet, of de nieuwste checkpoints zijn verwijderd (en mogelijk de "
                "regels die ze vastlegden). Zoek uit welke van de twee en leg daarna een nieuw checkpoint vast "
                "met 'leerlingroute audit checkpoint'.")
    oldest = _oldest_row(engine)
    if oldest is None or now - oldest <= limit:
        return None
    return (f"Er is geen geldig ondertekend checkpoint, terwijl er al sinds {oldest.astimezone(UTC):%Y-%m-%d %H:%M} "
            f"UTC regels zijn (meer dan {hours} voor {moment}): de geplande flow audit-checkpoint draait niet, of "
            "het checkpointbestand is verwijderd of leeggemaakt.")


def _oldest_row(engine: Engine) -> datetime | None:
    """When the first row of either chain was written; None while both are empty."""
    with engine.connect() as conn:
        instants = [conn.execute(select(audit_log.c.at).where(audit_log.c.seq == 1)).scalar(),
                    conn.execute(select(case_events.c.recorded_at).where(case_events.c.chain_seq == 1)).scalar()]
    return min((i for i in instants if i is not None), default=None)


def _gaps(valid: list[Checkpoint]) -> list[str]:
    """Notes on every stretch longer than GAP_NOTED between two checkpoints, the most recent ones shown."""
    gaps = [(before, after) for before, after in itertools.pairwise(valid) if after.at - before.at > GAP_NOTED]
    notes = [f"Let op: tussen het checkpoint van {_when(before)} en dat van {_when(after)} is "
             f"{(after.at - before.at).total_seconds() / 3600:.1f} uur geen checkpoint vastgelegd. Stond de server "
             "of de planning stil, dan verklaart dat het; anders kunnen daar checkpoints zijn verwijderd."
             for before, after in gaps[-GAPS_SHOWN:]]
    if len(gaps) > GAPS_SHOWN:
        notes.insert(0, f"Let op: {len(gaps)} keer meer dan anderhalf uur tussen twee checkpoints; de laatste "
                        f"{GAPS_SHOWN}:")
    return notes


def _old_format(valid: list[Checkpoint]) -> list[str]:
    """A note on checkpoints written before they were chained, and what covers them."""
    old = sum(not c.chained for c in valid)
    if not old:
        return []
    covered = ("het eerste geketende checkpoint erna legt hun aantal en het laatste vast"
               if any(c.chained for c in valid) else "het volgende checkpoint legt hun aantal en het laatste vast")
    return [f"{old} checkpoint(s) in het oude formaat, zonder volgnummer en keten; {covered}."]


def _walk_all(engine: Engine, name: str, heads_at: set[int]) -> Verification:
    table, position = _CHAINS[name]
    with engine.connect() as conn:
        return audit.walk(conn, table, position, _CONTENT[name], heads_at)


def _against(name: str, chain: Verification, pinned: Head, checkpoint: Checkpoint) -> str | None:
    """What is wrong with ``chain`` measured against one checkpoint's head of it, if anything."""
    if pinned.rows == 0:
        return None
    if chain.broken_seq is not None and chain.broken_seq <= pinned.rows:
        return None  # reported as the break itself
    if chain.rows < pinned.rows:
        return (f"{_NAMES[name]} telt {chain.rows} regels, minder dan de {pinned.rows} van het checkpoint van "
                f"{_when(checkpoint)}: er zijn regels verwijderd.")
    if chain.heads.get(pinned.rows) != pinned.head:
        return (f"{_NAMES[name]}: regel {pinned.rows} wijkt af van het checkpoint van {_when(checkpoint)}: "
                f"de keten is herschreven.")
    return None


def _when(checkpoint: Checkpoint) -> str:
    return checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


_CONTENT = {"audit": audit.row_content, "events": event_chain.row_content}
_NAMES = {"audit": "Auditlog", "events": "Gebeurtenissen van dossiers"}
