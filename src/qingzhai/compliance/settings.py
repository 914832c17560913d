"""Settings of the compliance engine (`QINGZHAI_COMPLIANCE_*` environment variables)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ComplianceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QINGZHAI_COMPLIANCE_", extra="ignore")

    preset: str = Field("cn", description="Jurisdiction preset: cn, us-regf, uk-fca, hk or sg.")
    holidays_quiet: bool = Field(False, description="Treat the preset country's public holidays as quiet days.")
    default_zone: str = Field("Asia/Shanghai", description="Zone used when neither the debtor's zone, "
                              "phone number nor address tells one.")


@lru_cache(maxsize=1)
def get_compliance_settings() -> ComplianceSettings:
    return ComplianceSettings()


def reset_compliance_settings() -> None:
    get_compliance_settings.cache_clear()
