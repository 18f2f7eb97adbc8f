"""The Celery app and its tasks: thin wrappers that call `workflow` and `notifications`."""
