"""``python -m cbeclab ...`` runs the CLI (same as the ``cbeclab`` command)."""

from cbeclab.cli import entry

if __name__ == "__main__":
    entry()
