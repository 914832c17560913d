"""The FastAPI application. Each capability's router is mounted here and nowhere else."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from qingzhai import __version__
from qingzhai.api import errors
from qingzhai.api.deps import get_actor
from qingzhai.assessment.api import router as assessment_router
from qingzhai.compliance.api import router as compliance_router
from qingzhai.conversation.api import router as conversation_router
from qingzhai.db.session import default_engine, session_factory
from qingzhai.execution.api import router as execution_router
from qingzhai.mediation.api import router as mediation_router
from qingzhai.planning.api import router as planning_router
from qingzhai.registry.api import router as registry_router
from qingzhai.registry.intake.api import router as intake_router
from qingzhai.scoring.api import router as scoring_router
from qingzhai.security import http as security_http

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

    # Every capability route needs an authenticated user (routes check their permissions too);
    # only /health and the login route of the security router are open.
    authenticated = [Depends(get_actor)]
    for router in (registry_router, intake_router, compliance_router, assessment_router, planning_router,
                   execution_router, scoring_router, conversation_router, mediation_router):
        app.include_router(router, dependencies=authenticated)
    security_http.install(app)
    return app
