"""Ship the bundled catalogue (the repository's own podcast.toml, episodes/, artwork/) inside the wheel.

The repository root stays the catalogue's home (DESIGN.md); a build copies it
into ``podcaster/demo_catalogue/`` of the wheel, so ``podcaster demo`` finds it
after a plain ``pip install .``. An editable install reads it from the root itself.
Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# What the demo copies: never podcast.lock, built feeds or audio (the demo makes its own).
CATALOGUE = ("podcast.toml", "episodes", "artwork")


class BuildWithCatalogue(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "podcaster" / "demo_catalogue"
        shutil.rmtree(target, ignore_errors=True)
        for name in CATALOGUE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(".*", "*.mp3", "*.m4a"))
            elif source.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithCatalogue})
