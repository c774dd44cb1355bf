"""The suite runs against the installed wheel, not the source tree."""

import edgemodule
import edgemodule._native
from pathlib import Path


def test_package_comes_from_site_packages():
    here = Path(edgemodule.__file__).resolve()
    assert "site-packages" in here.parts, here
    assert Path(edgemodule._native.__file__).suffix == ".so"
    for extra in ("_native.pyi", "py.typed"):
        assert here.with_name(extra).is_file(), extra
