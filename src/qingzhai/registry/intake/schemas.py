"""API shapes of intake."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RejectRead(BaseModel):
    line: int = Field(description="Line number in the file (the header is line 1).")
    field: str
    reason: str
    problems: list[dict[str, str]]


class ImportReportRead(BaseModel):
    batch_id: str
    read: int
    imported: int
    already_present: int
    rejected: int
    debtors_created: int
    cases_created: int
    rejects: list[RejectRead] = Field(description="The first 100 rejected rows with their reasons.")
