"""Settings from `QINGZHAI_*` environment variables, read on first use, never at import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QINGZHAI_", extra="ignore")

    database_url: str = Field(
        "sqlite:///qingzhai.db",
        description="SQLAlchemy URL: SQLite by default, postgresql+psycopg://... for real use.",
    )
    lang: str = Field("zh_CN", description="Language of user-facing text: zh_CN or en.")
    timezone: str = Field("Asia/Shanghai", description="The firm's own time zone (reports, run-day).")
    hmac_key: SecretStr = Field(
        SecretStr("qingzhai-development-only-hmac-key"),
        description="Key of the keyed hash (HMAC-SHA256) that matches ID numbers and phones. "
        "Set a long random value in production and keep it with the master key.",
    )
    master_key: SecretStr | None = Field(
        None,
        description="Master key (base64 of 32 random bytes) that wraps the data keys encrypting personal "
        "data. Unset = a fixed development key, with a warning. `qingzhai keys generate` makes one.",
    )
    master_key_file: Path | None = Field(
        None, description="File holding the master key (base64), used when master_key is unset.",
    )
    jwt_secret: SecretStr | None = Field(
        None,
        description="Secret signing API access tokens (HS256). Unset = a development secret, with a warning.",
    )
    password_time_cost: int = Field(3, ge=1, le=20, description="Argon2id passes (RFC 9106 second choice: 3).")
    password_memory_kib: int = Field(
        65536, ge=8, le=4 * 1024 * 1024, description="Argon2id memory in KiB (RFC 9106 second choice: 64 MiB)."
    )
    access_token_minutes: int = Field(15, ge=1, le=24 * 60, description="Lifetime of an access token.")
    login_attempts_per_minute: int = Field(
        5, ge=1, description="Failed logins allowed per user name and per client address in a minute."
    )
    max_request_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (none by default).",
    )
    sql_echo: bool = False
    api_page_size_max: int = 500
    import_batch_size: int = Field(5000, ge=100, description="Rows per insert batch on import.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI's --database option change the environment)."""
    get_settings.cache_clear()
