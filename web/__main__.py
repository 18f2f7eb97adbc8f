"""`python -m web ...` is the `cycle` command."""

from .cli import main

main()
