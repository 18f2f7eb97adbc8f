"""Settings, read from the environment in one place: the entry points call `Settings.from_env()`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import definitions as _shipped

from .errors import ConfigurationError


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "strategy-cycle"


@dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    definitions_dir: Path
    frozen_now: dt.datetime | None = None  # CYCLE_NOW: pin the clock, for rehearsals and scripts

    @property
    def papers_dir(self) -> Path:
        return self.data_dir / "papers"

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env["CYCLE_DATA_DIR"]) if env.get("CYCLE_DATA_DIR") else default_data_dir(env)
        database_url = env.get("CYCLE_DATABASE_URL") or f"sqlite:///{data_dir / 'cycle.db'}"
        definitions_dir = Path(env.get("CYCLE_DEFINITIONS_DIR") or Path(_shipped.__file__).parent)
        frozen_now = None
        if env.get("CYCLE_NOW"):
            try:
                frozen_now = dt.datetime.fromisoformat(env["CYCLE_NOW"])
            except ValueError:
                raise ConfigurationError(
                    f"CYCLE_NOW='{env['CYCLE_NOW']}' is not a date and time; use ISO 8601, "
                    "such as 2021-08-19T10:00"
                ) from None
            if frozen_now.tzinfo is None:
                frozen_now = frozen_now.replace(tzinfo=dt.UTC)
        return cls(data_dir=data_dir, database_url=database_url, definitions_dir=definitions_dir,
                   frozen_now=frozen_now)
