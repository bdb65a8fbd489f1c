"""The repaired wheel: a manylinux tag auditwheel agrees with, the module, the bundled sandbox
and the libraries both need, and nothing else from the build."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from elf_deps import foreign_libraries
from wheel_env import Distributions, unpack


def test_auditwheel_reports_the_manylinux_tag_of_the_file_name(distributions: Distributions) -> None:
    assert re.fullmatch(r"manylinux_2_\d+_x86_64|manylinux_2_\d+_aarch64", distributions.platform_tag)
    # scripts/wheel ran `auditwheel show` on the file it repaired.
    text = " ".join(distributions.auditwheel_show.split())
    assert f'is consistent with the following platform tag: "{distributions.platform_tag}"' in text, text


def test_the_wheel_carries_the_module_the_sandbox_and_their_libraries(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheel) as archive:
        members = {m.filename: m for m in archive.infolist()}
    names = set(members)
    assert any(re.fullmatch(r"calbridge/_core\.cpython-\d+-[\w-]+\.so", n) for n in names), sorted(names)
    assert {"calbridge/__init__.py", "calbridge/py.typed", "calbridge/_core.pyi"} <= names
    sandbox = members["calbridge/_bin/calbridge-sandbox"]
    assert (sandbox.external_attr >> 16) & 0o111, "the sandbox lost its executable bit"
    grafted = [n for n in names if n.startswith("calbridge.libs/")]
    for library in ("libssl", "libcrypto", "libsqlite3", "libpq"):
        assert any(Path(n).name.startswith(library + "-") for n in grafted), (library, grafted)
    # Only the package, its grafted libraries and the metadata; never the C API or headers.
    name, version = distributions.wheel.name.split("-")[:2]
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"calbridge", "calbridge.libs", f"{name}-{version}.dist-info"}, top
    assert not [n for n in names if n.endswith((".h", ".hpp", ".a", ".cmake"))]


def test_the_dependency_check_flags_the_unrepaired_sandbox(distributions: Distributions, tmp_path: Path) -> None:
    # The check the installed wheel must pass, on the wheel before auditwheel: its sandbox and
    # module load OpenSSL from the build machine (or do not find it), which a target lacks.
    unpack(distributions.unrepaired, tmp_path)
    env = {"PATH": "/usr/bin:/bin"}
    for elf in (tmp_path / "calbridge" / "_bin" / "calbridge-sandbox", *(tmp_path / "calbridge").glob("_core.*.so")):
        foreign = foreign_libraries(elf, tmp_path / "calbridge.libs", distributions.platform_tag, env)
        assert any(f.startswith("libssl.so") for f in foreign), (elf.name, foreign)
