"""Reference data use cases: CSV imports (reference data by an admin, pupils by an admin or their school) and the
pupil register read (identities only where the role must know them).
"""


from __future__ import annotations

from datetime import datetime

import structlog

from domain.access import (
    Principal,
    sees_identity,
)
from domain.errors import PupilNotFound, RoleNotAllowed
from domain.roles import ADMIN, ZORGCOORDINATOR
from infra.reference import resources
from infra.store import scope
from infra.store.tables import pupils
from service.audit import Audited

log = structlog.get_logger("leerlingroute")


class ReferenceUseCases(Audited):
    """Schools, SWVs, gemeenten and pupils."""

    def import_csv(self, principal: Principal, kind: str, content: str, now: datetime) -> resources.Imported:
        """Import a CSV file all or nothing: reference data by an admin, pupils by an admin or a
        zorgcoördinator (for their own schools); RoleNotAllowed (403) for anyone else.
        """
        allowed = (ADMIN, ZORGCOORDINATOR) if kind == "leerlingen" else (ADMIN,)
        if principal.role not in allowed:
            raise RoleNotAllowed(f"importeer_{kind}", principal.role, allowed)
        schools = principal.scopes if principal.role == ZORGCOORDINATOR else None
        imported = self._audited_in(principal, f"import:{kind}", f"import:{kind}", now,
                                    lambda begin: resources.import_csv_in(begin, kind, content, now, schools))
        log.info("import", kind=kind, added=imported.added, updated=imported.updated, actor_role=principal.role)
        return imported

    def pupil_records(self, principal: Principal, pupil_id: str | None, school_brin: str | None, limit: int,
                      offset: int, now: datetime) -> list[resources.PupilRecord]:
        """Registered pupils the user may see (one by id, or a school's), identities only where the role
        must know them; audited.
        """
        condition = scope.pupil_scope(principal, self.registry)
        if pupil_id is not None:
            condition = condition & (pupils.c.id == pupil_id)
        if school_brin is not None:
            condition = condition & (pupils.c.school_brin == school_brin)

        def run() -> list[resources.PupilRecord]:
            with self.engine.connect() as conn:
                found = resources.pupil_records(conn, condition, lambda r: sees_identity(principal, r.school_brin,
                                                                                          r.residence_cbs),
                                                limit, offset)
            if pupil_id is not None and not found:
                raise PupilNotFound(pupil_id)
            return found
        resource = f"pupil:{pupil_id}" if pupil_id else f"pupils:{school_brin or '*'}"
        return self._audited(principal, "pupil.record", resource, None, now, run)

