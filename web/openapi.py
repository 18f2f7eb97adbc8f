"""The API's OpenAPI description, as committed in docs/openapi.json: `python -m web.openapi` writes it again."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from workflow.settings import Settings

from .app import create_app
from .config import WebSettings

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def schema() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"CYCLE_DATA_DIR": folder})
        app = create_app(settings, web=WebSettings())
        found = app.openapi()
        app.state.cycle.close()
        return found


def text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else COMMITTED
    target.write_text(text(), encoding="utf-8")
    print(f"wrote {target}")
