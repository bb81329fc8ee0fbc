"""``python -m cbeclab ...`` runs the CLI (same as the ``cbeclab`` command)."""

from cbeclab.cli import main

if __name__ == "__main__":
    main()
