"""An uploaded definition file, read within a limit and checked by the loader as `cycle validate` checks a file.

The API's `POST /definitions/validate` and the Definitions upload page both read uploads here,
so the two answer a file alike: the same refusals, the same problems with their lines.
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import UploadFile

from workflow.definition.loader import parse_definition
from workflow.definition.model import Definition
from workflow.errors import DefinitionError, InvalidInput, Problem

MAX_UPLOAD = 1024 * 1024
SUFFIXES = (".yaml", ".yml")


def upload_name(file: UploadFile) -> str:
    """The uploaded file's own name, without any folders a browser or a hostile client put before it."""
    return Path((file.filename or "definition.yaml").replace("\\", "/")).name or "definition.yaml"


def read_text(file: UploadFile) -> str:
    """The upload's text: refused when larger than 1 MB or not UTF-8 (a problem of the file, as the loader says)."""
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise InvalidInput("the definition file is larger than 1 MB")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise DefinitionError([Problem(upload_name(file), None, "file", "is not UTF-8 text")]) from None


def require_yaml(file: UploadFile) -> None:
    name = upload_name(file)
    if Path(name).suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"'{name}' is not a YAML file: a definition is uploaded as a .yaml or .yml file")


def parse_upload(text: str, name: str, templates_dir: Path) -> Definition:
    """The definition in `text`, or DefinitionError with every problem located in `name` by line and field."""
    return parse_definition(text, name, templates_dir=templates_dir)
