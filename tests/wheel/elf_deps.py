"""What an ELF file loads at run time (ldd), judged against the manylinux allow-list.

An installed wheel must need nothing but the libraries every manylinux system has (auditwheel's
policy for the wheel's tag: libc, libm, libstdc++, libgcc_s...) and what it ships itself.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Part of every process, not libraries a policy lists: the vDSO and the dynamic loader.
_ALWAYS_THERE = re.compile(r"^(linux-vdso\.so\.\d+|ld-linux[-\w.]*\.so\.\d+)$")


@dataclass(frozen=True)
class Library:
    soname: str
    path: str | None  # None: ldd did not find it


def loaded_libraries(elf: Path, env: dict[str, str]) -> list[Library]:
    """The shared libraries the loader maps for ``elf`` (direct and indirect), from ldd run in
    ``env`` (pass one without LD_LIBRARY_PATH)."""
    result = subprocess.run(["ldd", str(elf)], env=env, capture_output=True, text=True, timeout=60, check=True)
    libraries = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            soname, _, target = line.partition("=>")
            target = target.strip()
            path = None if target.startswith("not found") else target.split(" (", 1)[0].strip()
            libraries.append(Library(soname.strip(), path or None))
        elif line:
            name = line.split(" (", 1)[0].strip()  # the vDSO, or the loader by its path
            libraries.append(Library(Path(name).name, name if "/" in name else None))
    return libraries


def allowed_sonames(platform_tag: str) -> frozenset[str]:
    """The system libraries auditwheel's policy allows for ``platform_tag``
    (e.g. ``manylinux_2_35_x86_64``)."""
    match = re.fullmatch(r"(manylinux_\d+_\d+)_(\w+)", platform_tag)
    if match is None:
        raise ValueError(f"not a manylinux platform tag: {platform_tag}")
    policy_file = importlib.resources.files("auditwheel") / "policy" / "manylinux-policy.json"
    for policy in json.loads(policy_file.read_text(encoding="utf-8")):
        if policy["name"] == match.group(1) or match.group(1) in policy.get("aliases", []):
            return frozenset(policy["lib_whitelist"])
    raise ValueError(f"auditwheel has no policy {match.group(1)}")


def foreign_libraries(elf: Path, shipped: Path, platform_tag: str, env: dict[str, str]) -> list[str]:
    """The libraries ``elf`` loads that are neither allowed by the policy nor inside
    ``shipped`` (the installed wheel's directory of grafted libraries), as
    ``soname => path``. Empty when the installed wheel is self-sufficient."""
    allowed = allowed_sonames(platform_tag)
    shipped = shipped.resolve()
    foreign = []
    for library in loaded_libraries(elf, env):
        if _ALWAYS_THERE.match(library.soname) or library.soname in allowed:
            continue
        if library.path is not None and Path(library.path).resolve().is_relative_to(shipped):
            continue
        foreign.append(f"{library.soname} => {library.path or 'not found'}")
    return foreign
