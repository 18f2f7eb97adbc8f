"""`python -m tasks ...` is the `cycle` command (the demo starts its workers this way)."""

from .cli import main

main()
