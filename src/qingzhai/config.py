"""Settings from `QINGZHAI_*` environment variables, read on first use, never at import."""

from __future__ import annotations

from functools import lru_cache

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
    sql_echo: bool = False
    api_page_size_max: int = 500
    import_batch_size: int = Field(5000, ge=100, description="Rows per insert batch on import.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI's --database option change the environment)."""
    get_settings.cache_clear()
