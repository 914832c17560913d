"""Daily job: retrain the portfolio model as repayment history accumulates. Idempotent: running it
again the same day, with no new labelled plans, changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from qingzhai.scoring import service
from qingzhai.scoring.rules import PortfolioSettings, TrainSettings, should_retrain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrainOutcome:
    retrained: bool
    labelled_plans: int
    model_id: str | None
    history: str | None


def retrain_portfolio(session: Session, *, now: datetime, settings: PortfolioSettings | None = None,
                      train_settings: TrainSettings | None = None, model_dir: Path | None = None) -> RetrainOutcome:
    settings = settings or PortfolioSettings()
    labelled = len(service.real_history(session, now=now, settings=settings))
    record = service.active_portfolio(session)
    previous = int(record.card.get("real_examples", 0)) if record else None
    history = str(record.card.get("history")) if record else None
    if not should_retrain(labelled_now=labelled, labelled_at_last_training=previous, history_at_last_training=history,
                          settings=settings):
        return RetrainOutcome(False, labelled, record.id if record else None, history)
    result = service.train_portfolio(session, now=now, settings=settings, train_settings=train_settings or
                                     TrainSettings(repeats=1), model_dir=model_dir)
    log.info("portfolio model retrained", extra={"model_id": result.record.id, "labelled_plans": labelled})
    return RetrainOutcome(True, labelled, result.record.id, result.history)
