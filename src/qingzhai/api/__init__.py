"""The FastAPI application: mounts each capability's router, error mapping, sessions."""
