"""Index engines other than the local Whoosh folder (see engine.py for the seam)."""
