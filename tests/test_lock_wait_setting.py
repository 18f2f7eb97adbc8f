"""CYCLE_LOCK_WAIT and CYCLE_WORKER_LOCK_WAIT: how long commands and workers wait for a row another transaction holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workflow.cli import main
from workflow.errors import ConfigurationError
from workflow.settings import Settings


def test_the_lock_waits_are_settings_with_defaults(tmp_path: Path) -> None:
    base = {"CYCLE_DATA_DIR": str(tmp_path)}
    settings = Settings.from_env(base)
    assert (settings.lock_wait, settings.worker_lock_wait) == (10, 60)
    changed = Settings.from_env(base | {"CYCLE_LOCK_WAIT": "2.5", "CYCLE_WORKER_LOCK_WAIT": "120"})
    assert (changed.lock_wait, changed.worker_lock_wait) == (2.5, 120)
    with pytest.raises(ConfigurationError, match="CYCLE_LOCK_WAIT='soon' is not a number of seconds"):
        Settings.from_env(base | {"CYCLE_LOCK_WAIT": "soon"})
    with pytest.raises(ConfigurationError, match="CYCLE_WORKER_LOCK_WAIT must be more than 0 seconds"):
        Settings.from_env(base | {"CYCLE_WORKER_LOCK_WAIT": "0"})


def test_a_bad_lock_wait_is_one_sentence_at_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["list"], env={"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": "",
                                                     "CYCLE_LOCK_WAIT": "forever"})
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "error: CYCLE_LOCK_WAIT='forever' is not a number of seconds"
