"""Signed checkpoints of the audit log and the case events: what makes a rewrite or a truncation visible.

Both chains are plain SHA-256 (anyone may check them), so someone who can write to the database and
get past its triggers could delete the newest rows, or change a row and recompute every hash after
it, and the chain would still verify. A checkpoint pins both chains as they were: how many rows and the
hash of the last one, for the audit log and for the case events, signed with HMAC-SHA256 under a key
that lives outside the database (``LEERLINGROUTE_AUDIT_KEY``, or the file ``audit.key`` in the data
folder, made with mode 0600 on first use). Checkpoints are appended as JSON lines to
``audit-checkpoints.jsonl`` in the data folder, also outside the database, by the hourly
``audit-checkpoint`` flow and by ``leerlingroute audit checkpoint``. :func:`verify` then finds fewer
rows than a checkpoint counted, a hash at a checkpoint's row that differs, and a checkpoint whose
signature is wrong. What it cannot see: rows rewritten after the latest checkpoint (at most an hour's
worth) by someone who also holds the key.

A checkpoint is only written over chains that verify: the rows since the previous checkpoint are walked
(and the previous head must still be there), so a tampered log is refused, never signed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, select

from infra import audit, event_chain
from infra.audit import GENESIS, Verification
from infra.settings import Settings
from infra.tables import audit_log, case_events

KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"


class CheckpointRefused(Exception):
    """No checkpoint is written: a chain does not verify, or the previous checkpoint is not ours."""


@dataclass(frozen=True)
class Head:
    """A chain as a checkpoint saw it: how many rows (they are numbered densely from 1) and the last hash."""

    rows: int
    head: str


@dataclass(frozen=True)
class Checkpoint:
    """Both chains' heads at ``at``, signed."""

    at: datetime
    audit: Head
    events: Head
    signature: str = ""

    def signed_content(self) -> bytes:
        """What the signature covers: everything but the signature, as canonical JSON."""
        document = {"at": self.at.astimezone(UTC).isoformat(),
                    "audit": {"rows": self.audit.rows, "head": self.audit.head},
                    "events": {"rows": self.events.rows, "head": self.events.head}}
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        """The checkpoint as one JSON line of the checkpoint file."""
        document = json.loads(self.signed_content())
        return json.dumps({**document, "signature": self.signature}, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Report:
    """What :func:`verify` found: both chains, how many checkpoints were checked, and every problem."""

    audit: Verification
    events: Verification
    checkpoints: int
    latest: Checkpoint | None
    problems: list[str]


def key(settings: Settings, *, create: bool) -> bytes | None:
    """The signing key: the setting, else the key file (made now if ``create``); None if there is none."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = settings.data_dir / KEY_FILE
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
    return Checkpoint(checkpoint.at, checkpoint.audit, checkpoint.events, digest)


def signed_by(checkpoint: Checkpoint, secret: bytes | None) -> bool:
    """Whether the checkpoint's signature is ours."""
    return secret is not None and hmac.compare_digest(sign(checkpoint, secret).signature, checkpoint.signature)


def read(settings: Settings) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first (none if there is no file); a line that does not
    parse reads as a checkpoint with an empty signature, so it is reported, not skipped.
    """
    path = settings.data_dir / CHECKPOINT_FILE
    if not path.exists():
        return []
    return [_parsed(line) for line in path.read_text().splitlines() if line.strip()]


def _parsed(line: str) -> Checkpoint:
    try:
        document: dict[str, Any] = json.loads(line)
        return Checkpoint(datetime.fromisoformat(document["at"]), Head(**document["audit"]),
                          Head(**document["events"]), str(document["signature"]))
    except (ValueError, KeyError, TypeError):
        return Checkpoint(datetime.min.replace(tzinfo=UTC), Head(0, GENESIS), Head(0, GENESIS))


_CHAINS: dict[str, tuple[Table, Column[int]]] = {
    "audit": (audit_log, audit_log.c.seq), "events": (case_events, case_events.c.chain_seq)}


def take(engine: Engine, settings: Settings, now: datetime) -> Checkpoint:
    """Verify the rows written since the previous checkpoint, then sign both chains' heads and append
    the checkpoint to the file; CheckpointRefused if a chain does not verify or the previous checkpoint's
    signature is not ours.
    """
    secret = key(settings, create=True)
    assert secret is not None  # noqa: S101 - made above when missing
    earlier = read(settings)
    previous = earlier[-1] if earlier else None
    if previous is not None and not signed_by(previous, secret):
        msg = f"het laatste checkpoint ({_when(previous)}) heeft een ongeldige handtekening"
        raise CheckpointRefused(msg)
    with engine.connect() as conn:
        heads = {name: _extended(conn, name, getattr(previous, name) if previous else Head(0, GENESIS))
                 for name in _CHAINS}
    checkpoint = sign(Checkpoint(now.astimezone(UTC), heads["audit"], heads["events"]), secret)
    path = settings.data_dir / CHECKPOINT_FILE
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


def verify(engine: Engine, settings: Settings) -> Report:
    """Walk both chains and hold them against every checkpoint in the file."""
    checkpoints = read(settings)
    secret = key(settings, create=False)
    problems = [f"Het checkpoint van {_when(c)} heeft een ongeldige handtekening (of de sleutel ontbreekt)."
                for c in checkpoints if not signed_by(c, secret)]
    valid = [c for c in checkpoints if signed_by(c, secret)]
    found = {name: _walk_all(engine, name, {getattr(c, name).rows for c in valid}) for name in _CHAINS}
    for name, chain in found.items():
        if chain.broken_seq is not None:
            problems.insert(0, f"{_NAMES[name]} verbroken bij regel {chain.broken_seq}: {chain.problem} "
                               f"({chain.rows} regels ervoor zijn intact).")
        problems += [p for c in valid if (p := _against(name, chain, getattr(c, name), c))]
    return Report(found["audit"], found["events"], len(checkpoints), valid[-1] if valid else None, problems)


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
