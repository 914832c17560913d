"""Daily work of conversations: purge recordings and transcripts past their retention period.

Idempotent: a purged recording keeps its metadata row (id, hash, dates) and is skipped next time;
each purge leaves an audit entry.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from qingzhai.conversation.ports import Ports
from qingzhai.conversation.service import PurgeReport, purge_expired_recordings

log = logging.getLogger(__name__)


def purge_recordings(session: Session, *, now: datetime, ports: Ports | None = None) -> PurgeReport:
    """The daily retention job (the caller commits)."""
    report = purge_expired_recordings(session, now=now, ports=ports)
    log.info(
        "recordings purge: examined=%d purged=%d kept_for_agreement=%d", report.examined, report.purged, report.kept_for_agreement
    )
    return report
