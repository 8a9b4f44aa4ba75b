"""Domain errors: a small hierarchy that carries ids and reads as a sentence.

``message`` is English (logs, API ``title``); ``detail_nl`` is the Dutch text a
person reads (API ``detail``, web pages, CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain-error"

    def __init__(self, message: str, detail_nl: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail_nl = detail_nl or message


class NotFound(DomainError):
    """Something named by id does not exist (or is not visible)."""

    code = "not-found"


class CaseNotFound(NotFound):
    """No case with this id."""

    code = "case-not-found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"No case with id {case_id}", f"Dossier {case_id} bestaat niet.")
        self.case_id = case_id


class PupilNotFound(NotFound):
    """No trajectory for this pupil (or none visible)."""

    code = "pupil-not-found"

    def __init__(self, pupil_id: str) -> None:
        super().__init__(f"No case for pupil {pupil_id}", f"Voor leerling {pupil_id} is geen dossier bekend.")


class UnknownPathway(NotFound):
    """No pathway definition by this name (and version)."""

    code = "unknown-pathway"

    def __init__(self, pathway: str, version: int | None = None) -> None:
        which = pathway if version is None else f"{pathway} v{version}"
        super().__init__(f"No pathway definition {which}", f"Route {which} bestaat niet.")


class UnknownProfile(DomainError):
    """No SWV profile by this code."""

    code = "unknown-profile"

    def __init__(self, profile: str, known: Sequence[str]) -> None:
        listed = ", ".join(known)
        super().__init__(f"No SWV profile {profile!r}; known: {listed}",
                         f"Profiel '{profile}' bestaat niet; bekend zijn: {listed}.")


class TransitionNotAllowed(DomainError):
    """The command is not allowed in the case's current stage."""

    code = "transition-not-allowed"

    def __init__(self, command: str, stage: str, allowed: Sequence[str]) -> None:
        listed = ", ".join(allowed) or "none"
        super().__init__(
            f"Can't {command} when in {stage}; allowed: {listed}",
            f"'{command}' kan niet in fase '{stage}'; wel mogelijk: {listed}.",
        )
        self.command, self.stage, self.allowed = command, stage, tuple(allowed)


class RoleNotAllowed(DomainError):
    """The actor's role may not issue this command."""

    code = "role-not-allowed"

    def __init__(self, command: str, role: str, roles: Sequence[str]) -> None:
        listed = ", ".join(roles)
        super().__init__(
            f"Role {role} may not {command}; roles allowed: {listed}",
            f"Met de rol '{role}' mag u '{command}' niet uitvoeren; dat mogen: {listed}.",
        )
        self.roles = tuple(roles)


class NotAuthenticated(DomainError):
    """No valid API token: none sent, unknown, expired or revoked (401)."""

    code = "not-authenticated"

    def __init__(self, reason_nl: str) -> None:
        super().__init__("Authentication required", reason_nl)


class OutOfScope(DomainError):
    """The user's role may act here, but not for this school or SWV (403, for new cases only:
    an existing case out of scope reads as not found).
    """

    code = "out-of-scope"


@dataclass(frozen=True)
class Missing:
    """One thing a guard found missing: a stable code and the Dutch sentence."""

    code: str
    detail_nl: str


class GuardFailed(DomainError):
    """A guard refused the command; ``missing`` names each thing that is missing."""

    code = "guard-failed"

    def __init__(self, command: str, missing: Sequence[Missing]) -> None:
        codes = ", ".join(m.code for m in missing)
        super().__init__(
            f"Can't {command}: missing {codes}",
            " ".join(m.detail_nl for m in missing),
        )
        self.missing = tuple(missing)


class InvalidCommand(DomainError):
    """The command's payload or timing is malformed; ``problems`` lists each field."""

    code = "invalid-command"

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("Invalid command: " + "; ".join(problems), " ".join(problems))
        self.problems = tuple(problems)


class ConcurrencyConflict(DomainError):
    """Another command changed the case first; nothing of this one was written."""

    code = "conflict"

    def __init__(self, case_id: str) -> None:
        super().__init__(
            f"Case {case_id} was changed by another command at the same moment; nothing was written",
            "Het dossier is tegelijk door iemand anders gewijzigd; er is niets opgeslagen. "
            "Bekijk de nieuwe stand en probeer het opnieuw.",
        )
        self.case_id = case_id


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used before for a different request."""

    code = "idempotency-key-reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency key {key!r} was already used for a different request",
            "Deze idempotentiesleutel is al gebruikt voor een ander verzoek.",
        )


class DefinitionError(Exception):
    """A pathway definition is defective; ``defects`` names each defect."""

    def __init__(self, pathway: str, defects: Sequence[str]) -> None:
        super().__init__(f"Pathway definition {pathway!r} is defective: " + "; ".join(defects))
        self.defects = tuple(defects)


@dataclass(frozen=True)
class RowError:
    """One defect in an imported file: its line (the header is line 1), column and the Dutch sentence."""

    line: int
    column: str
    detail_nl: str


class ImportRejected(DomainError):
    """A file to import has defects; nothing of it was imported. ``errors`` names every one."""

    code = "import-rejected"

    def __init__(self, errors: Sequence[RowError]) -> None:
        shown = "; ".join(f"regel {e.line}, kolom {e.column}: {e.detail_nl}" for e in errors[:5])
        more = f" (en nog {len(errors) - 5} fouten)" if len(errors) > 5 else ""  # noqa: PLR2004 - shown in detail
        super().__init__(f"The file has {len(errors)} error(s); nothing was imported",
                         f"Het bestand heeft {len(errors)} fout(en); er is niets geïmporteerd: {shown}{more}.")
        self.errors = tuple(errors)
