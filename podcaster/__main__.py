"""``python -m podcaster``: the ``podcaster`` command, where its script is not on the PATH (a venv not activated)."""

from podcaster.cli import main

main(prog_name="podcaster")
