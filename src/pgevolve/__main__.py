"""`python -m pgevolve` runs the CLI."""

from pgevolve.cli import main

main()
