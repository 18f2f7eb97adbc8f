"""The module `celery -A tasks.worker` loads: the app built from this process's environment."""

from workflow.settings import Settings

from .app import create_app

app = create_app(Settings.from_env())
