"""The FastAPI application. Each capability's router is mounted here and nowhere else."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from qingzhai import __version__
from qingzhai.api import errors
from qingzhai.db.session import default_engine, session_factory
from qingzhai.intake.api import router as intake_router
from qingzhai.registry.api import router as registry_router

DESCRIPTION = """
qingzhai (清债) — lawful, compliance-first debt recovery and resolution.

Errors are `application/problem+json` with `field` and `detail` naming what is wrong.
Money is a decimal string with a currency; times are ISO 8601 with an offset.
"""


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(title="qingzhai", version=__version__, description=DESCRIPTION)
    app.state.engine = engine or default_engine()
    app.state.sessions = session_factory(app.state.engine)
    errors.install(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(registry_router)
    app.include_router(intake_router)
    return app
