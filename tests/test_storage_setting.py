"""CYCLE_STORAGE chooses where papers and documents are kept; the embedded default stays the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.app import App
from workflow.errors import ConfigurationError
from workflow.settings import Settings
from workflow.store.paper_store import PaperStore
from workflow.store.stored_files import DatabaseStore, papers_store


def test_the_default_is_files_and_a_wrong_value_is_one_sentence(tmp_path: Path) -> None:
    assert Settings.from_env({"CYCLE_DATA_DIR": str(tmp_path)}).storage == "files"
    assert Settings.from_env({"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_STORAGE": "database"}).storage == "database"
    with pytest.raises(ConfigurationError, match="CYCLE_STORAGE='s3' should be 'files'"):
        Settings.from_env({"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_STORAGE": "s3"})


def test_the_embedded_database_can_keep_files_too(app: App) -> None:
    assert type(app.engine.papers) is PaperStore
    store = papers_store(Settings.from_env({"CYCLE_DATA_DIR": str(app.settings.data_dir),
                                            "CYCLE_STORAGE": "database"}), app.database)
    assert isinstance(store, DatabaseStore)
    digest = store.put(b"a paper\n" * 100_000)
    assert store.get(digest) == b"a paper\n" * 100_000 and store.check(digest) is None
    assert not (app.settings.data_dir / "papers").exists()
