"""``python -m wiretool`` runs the same entry point as the console script."""

from wiretool.cli.main import main

if __name__ == "__main__":
    main()
