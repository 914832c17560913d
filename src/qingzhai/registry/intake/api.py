"""Placement upload over HTTP (CSV or XLSX, as a multipart file)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, File, Query, UploadFile

from qingzhai import clock
from qingzhai.api.deps import ActorDep, SessionDep
from qingzhai.core.errors import FileRefused, NotFound
from qingzhai.core.text import N_
from qingzhai.registry.intake.files import file_sha256, open_placements
from qingzhai.registry.intake.schemas import ImportReportRead
from qingzhai.registry.intake.service import import_placements
from qingzhai.registry.service import get_creditor
from qingzhai.security.rules import Permission, Scope, case_scope, require

router = APIRouter()


@router.post(
    "/creditors/{creditor_id}/placements",
    response_model=ImportReportRead,
    tags=["placements"],
    summary="Upload a placement file (CSV or XLSX) for a creditor",
)
def upload_placements(
    creditor_id: str,
    session: SessionDep,
    actor: ActorDep,
    file: UploadFile = File(description="CSV (UTF-8) or XLSX in the documented import format."),
    encoding: str = Query("utf-8", max_length=20),
    allow_extra_columns: bool = False,
) -> ImportReportRead:
    require(actor, Permission.placement_create)
    creditor = get_creditor(session, creditor_id)
    if case_scope(actor) is Scope.own_placements and creditor.id != actor.creditor_id:
        raise NotFound("no creditor '{ref}'", field="creditor", params={"ref": creditor_id})
    name = Path(file.filename or "upload.csv").name
    suffix = Path(name).suffix.lower() or ".csv"
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise FileRefused(N_("upload a .csv or .xlsx file"), field="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        source = open_placements(path, encoding=encoding, allow_extra=allow_extra_columns)
        report = import_placements(
            session, creditor=creditor, rows=source.rows(), filename=name,
            sha256=file_sha256(path), actor=actor, now=clock.now(),
        )
    session.commit()
    return ImportReportRead.model_validate(report.to_dict())
