#!/usr/bin/env python3
"""Installs the C++ core's component into a fresh prefix and builds examples/cpp against it.

    check_install_cpp.py BUILD_DIR PREFIX LIBDIR CMAKE CXX_COMPILER SANDBOX [EXTRA_FLAGS]

Checks the installed files (the core's component alone: no C API), that every installed header
includes only the standard library and <calbridge/...> and compiles alone as C++20, and that the
CMake package refuses a component that is not installed and a version of another major. Then
builds examples/cpp/connect.cpp twice, as a project of its own with find_package(calbridge
COMPONENTS core) → calbridge::core and with pkg-config calbridge-cpp, and runs both
against a fresh calbridge-sandbox (run_with_sandbox.py); last, with the C API's component
installed beside it, find_package(calbridge) alone gives both targets. EXTRA_FLAGS (the sanitizer flags of
the build: the installed library is instrumented) are passed to every compile and link.
Standard library only.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from install_support import installed_files, run

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent.parent / "examples" / "cpp"
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)



def check_headers(prefix: Path, cxx: str, work: Path) -> None:
    """Every installed header: only <standard> and <calbridge/...> includes, and self-contained."""
    include = prefix / "include"
    headers = sorted((include / "calbridge").glob("*.hpp"))
    if len(headers) < 10:
        raise SystemExit(f"only {len(headers)} headers installed in {include / 'calbridge'}")
    for header in headers:
        for quote, name in INCLUDE.findall(header.read_text()):
            if name.startswith("calbridge/") and quote == "<":
                if not (include / name).exists():
                    raise SystemExit(f"{header.name} includes <{name}>, which is not installed")
            elif quote == '"' or "/" in name or "." in name:
                # standard library headers have neither a directory nor an extension
                shown = f"<{name}>" if quote == "<" else f'"{name}"'
                raise SystemExit(f"{header.name} includes {shown}: not the standard library nor calbridge")
    units = []
    for header in headers:
        unit = work / f"alone_{header.stem}.cpp"
        unit.write_text(f"#include <calbridge/{header.name}>\n")
        units.append(unit)
    # Each alone (one translation unit per header), side by side: the compiles are independent.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda unit: run([cxx, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                                        "-fsyntax-only", f"-I{include}", str(unit)]), units))
    print(f"headers: {len(headers)} installed, each compiles alone with the standard library only")


def check_package_refusals(prefix: Path, cmake: str, work: Path) -> None:
    """find_package must fail for a component that is not installed and for another major version."""
    for name, request, message in [
        ("capi-missing", "find_package(calbridge REQUIRED COMPONENTS capi)", "Component capi is not installed"),
        ("major", "find_package(calbridge 1.0 REQUIRED COMPONENTS core)", "version"),
    ]:
        project = work / f"refuse-{name}"
        project.mkdir()
        (project / "CMakeLists.txt").write_text(
            f"cmake_minimum_required(VERSION 3.20)\nproject(refuse LANGUAGES NONE)\n{request}\n")
        out = run([cmake, "-S", str(project), "-B", str(project / "build"), f"-DCMAKE_PREFIX_PATH={prefix}"],
                  expect_failure=True)
        if message not in out:
            raise SystemExit(f"find_package failed without saying '{message}'")


def main() -> int:
    build, prefix, libdir, cmake, cxx, sandbox = sys.argv[1:7]
    extra = shlex.split(sys.argv[7]) if len(sys.argv) > 7 else []
    prefix_path = Path(prefix)
    shutil.rmtree(prefix_path, ignore_errors=True)
    run([cmake, "--install", build, "--prefix", prefix, "--component", "core"])

    lib = prefix_path / libdir
    expected = [
        prefix_path / "include" / "calbridge" / "client.hpp",
        prefix_path / "include" / "calbridge" / "version.hpp",
        lib / "libcalbridge_core.a",
        lib / "libcalbridge_beast.a",
        lib / "pkgconfig" / "calbridge-cpp.pc",
        lib / "cmake" / "calbridge" / "calbridgeConfig.cmake",
        lib / "cmake" / "calbridge" / "calbridgeConfigVersion.cmake",
        lib / "cmake" / "calbridge" / "calbridgeCoreTargets.cmake",
    ]
    installed = installed_files(prefix_path, expected)
    foreign = [p for p in installed if "libcalbridge.so" in p or p.endswith("calbridge.h") or "CTargets" in p]
    if foreign:
        raise SystemExit("the core's component installed the C API's files: " + ", ".join(foreign))

    work = prefix_path / "consumer-build"
    work.mkdir()
    check_headers(prefix_path, cxx, work)
    check_package_refusals(prefix_path, cmake, work)
    with_sandbox = [sys.executable, str(HERE / "run_with_sandbox.py"), sandbox]

    # find_package(calbridge COMPONENTS core): examples/cpp as a project of its own.
    cmake_build = work / "cmake"
    flags = " ".join(extra)
    run([cmake, "-S", str(EXAMPLE), "-B", str(cmake_build), f"-DCMAKE_PREFIX_PATH={prefix}",
         f"-DCMAKE_CXX_COMPILER={cxx}", f"-DCMAKE_CXX_FLAGS={flags}", f"-DCMAKE_EXE_LINKER_FLAGS={flags}"])
    run([cmake, "--build", str(cmake_build)])
    run([*with_sandbox, str(cmake_build / "calbridge-connect-cpp")])

    # pkg-config: the library is static, so its link dependencies are in Requires and plain
    # --libs links it (--static would ask for libpq's and OpenSSL's own static archives).
    env = dict(os.environ, PKG_CONFIG_PATH=str(lib / "pkgconfig"))
    version = run(["pkg-config", "--modversion", "calbridge-cpp"], env=env).strip()
    if version != "0.1.0":
        raise SystemExit(f"pkg-config says version {version}")
    cflags = run(["pkg-config", "--cflags", "calbridge-cpp"], env=env).split()
    if any(flag.startswith("-std=") for flag in cflags):
        raise SystemExit("pkg-config calbridge-cpp must not choose the language standard (documented: -std=c++20)")
    libs = run(["pkg-config", "--libs", "calbridge-cpp"], env=env).split()
    for needed in ("-lcalbridge_core", "-lcalbridge_beast", "-lssl", "-lcrypto", "-lsqlite3", "-lpq"):
        if needed not in libs:
            raise SystemExit(f"pkg-config --libs calbridge-cpp lacks {needed}")
    exe = work / "connect_pkgconfig"
    run([cxx, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", *extra, *cflags,
         str(EXAMPLE / "connect.cpp"), "-o", str(exe), *libs])
    run([*with_sandbox, str(exe)])

    # Both components in one prefix: one package config, both targets without COMPONENTS.
    run([cmake, "--install", build, "--prefix", prefix, "--component", "capi"])
    both = work / "both"
    both.mkdir()
    (both / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(both LANGUAGES CXX)\n"
        "find_package(calbridge 0.1 REQUIRED)\n"
        "if(NOT TARGET calbridge::core OR NOT TARGET calbridge::calbridge OR NOT calbridge_core_FOUND"
        " OR NOT calbridge_capi_FOUND)\n  message(FATAL_ERROR \"both targets expected\")\nendif()\n")
    run([cmake, "-S", str(both), "-B", str(both / "build"), f"-DCMAKE_PREFIX_PATH={prefix}",
         f"-DCMAKE_CXX_COMPILER={cxx}"])
    print("install: find_package and pkg-config consumers of the C++ core built and ran against the sandbox")
    return 0


if __name__ == "__main__":
    sys.exit(main())
