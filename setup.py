"""The one build step pyproject.toml cannot declare: what a wheel carries beside the code.

A built wheel (`pip install .`, `pip wheel .`, the Docker image) holds `locales/` inside the
package, as `bot/locales/`: the catalogs compiled here from their .po (.mo only: a wheel cannot
carry a .mo older than its .po, and nothing is written at run time, when site-packages may be
read-only) and the bulletin library. It leaves out the demo: its personas (`bot/demo.py`) and
`sandbox/`, which the demo and the tests import from a checkout. An editable install reads
`locales/` beside `bot/` (`make compile-messages` compiles it there), as a checkout does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "tipbot"
# The demo's personas, and the sandbox (also left out by pyproject.toml; removed here too in case
# a build directory kept it from an earlier build).
DEMO_ONLY = ("bot/demo.py", "sandbox")


class BuildPyWithLocales(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        build_lib = Path(self.build_lib)
        for demo_only in DEMO_ONLY:
            path = build_lib / demo_only
            if path.is_dir():
                shutil.rmtree(path)
            path.unlink(missing_ok=True)
        build_locales(build_lib / "bot" / "locales")


def build_locales(target: Path) -> None:
    """`locales/` as the installed bot reads it: compiled catalogs and the bulletin library."""
    shutil.rmtree(target, ignore_errors=True)  # nothing stale from an earlier build
    catalogs = sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if not catalogs:
        raise SystemExit(f"no {DOMAIN}.po catalogs under {LOCALES}")
    for po in catalogs:
        mo = target / po.relative_to(LOCALES).with_suffix(".mo")
        mo.parent.mkdir(parents=True)
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3], domain=DOMAIN)
        with mo.open("wb") as compiled:
            write_mo(compiled, catalog)  # fuzzy entries left out, as `pybabel compile` does
    shutil.copytree(LOCALES / "bulletins", target / "bulletins")


setup(cmdclass={"build_py": BuildPyWithLocales})
