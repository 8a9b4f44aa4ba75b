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
from domain.errors import PupilNotFound
from domain.roles import ADMIN, ZORGCOORDINATOR
from infra.reference import resources
from infra.store import scope
from infra.store.tables import pupils
from service.base import ServiceBase
from service.use_case import Opener, audited, audited_in, only

log = structlog.get_logger("leerlingroute")


class ReferenceUseCases(ServiceBase):
    """Schools, SWVs, gemeenten and pupils."""

    @audited_in("import:{kind}", "import:{kind}")
    def import_csv(self, begin: Opener, principal: Principal, kind: str, content: str, now: datetime,
                   ) -> resources.Imported:
        """Import a CSV file all or nothing: reference data by an admin, pupils by an admin or a
        zorgcoördinator (for their own schools); RoleNotAllowed (403) for anyone else.
        """
        allowed = (ADMIN, ZORGCOORDINATOR) if kind == "leerlingen" else (ADMIN,)
        only(*allowed, act=f"importeer_{kind}")(principal.role)
        schools = principal.scopes if principal.role == ZORGCOORDINATOR else None
        imported = resources.import_csv_in(begin, kind, content, now, schools)
        log.info("import", kind=kind, added=imported.added, updated=imported.updated, actor_role=principal.role)
        return imported

    @audited("pupil.record", lambda a: f"pupil:{a['pupil_id']}" if a["pupil_id"]
             else f"pupils:{a['school_brin'] or '*'}")
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
        with self.engine.connect() as conn:
            found = resources.pupil_records(conn, condition, lambda r: sees_identity(principal, r.school_brin,
                                                                                      r.residence_cbs),
                                            limit, offset)
        if pupil_id is not None and not found:
            raise PupilNotFound(pupil_id)
        return found
