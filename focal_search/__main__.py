"""``python -m focal_search`` runs the command-line interface."""

from .cli import main

main()
