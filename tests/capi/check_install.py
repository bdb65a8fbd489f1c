#!/usr/bin/env python3
"""Installs the C API's component into a fresh prefix and uses it the documented ways.

    check_install.py BUILD_DIR PREFIX LIBDIR CMAKE C_COMPILER CXX_COMPILER [EXTRA_FLAGS]

Checks the installed files and the SONAME, then builds and runs tests/capi/consumer twice:
with pkg-config and with find_package(calbridge) → calbridge::calbridge. EXTRA_FLAGS (e.g. the
sanitizer flags of the build) are passed to both builds; with clang's sanitizers the library
also needs the C++ runtime, so the C consumers then link it too. Standard library only.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from install_support import installed_files, run

HERE = Path(__file__).resolve().parent



def main() -> int:
    build, prefix, libdir, cmake, cc, cxx = sys.argv[1:7]
    extra = shlex.split(sys.argv[7]) if len(sys.argv) > 7 else []
    prefix_path = Path(prefix)
    shutil.rmtree(prefix_path, ignore_errors=True)
    run([cmake, "--install", build, "--prefix", prefix, "--component", "capi"])

    lib = prefix_path / libdir
    expected = [
        prefix_path / "include" / "calbridge.h",
        lib / "libcalbridge.so",
        lib / "libcalbridge.so.0",
        lib / "pkgconfig" / "calbridge.pc",
        lib / "cmake" / "calbridge" / "calbridgeConfig.cmake",
        lib / "cmake" / "calbridge" / "calbridgeConfigVersion.cmake",
        lib / "cmake" / "calbridge" / "calbridgeCTargets.cmake",
    ]
    installed_files(prefix_path, expected)
    if os.readlink(lib / "libcalbridge.so") != "libcalbridge.so.0":
        raise SystemExit("libcalbridge.so must point at the SONAME libcalbridge.so.0")
    dynamic = run(["readelf", "-d", str(lib / "libcalbridge.so.0")])
    if "Library soname: [libcalbridge.so.0]" not in dynamic:
        raise SystemExit("SONAME is not libcalbridge.so.0")
    if "boost" in dynamic.lower():
        raise SystemExit("libcalbridge must not need a Boost shared library")

    env = dict(os.environ, PKG_CONFIG_PATH=str(lib / "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "calbridge"], env=env).split()
    version = run(["pkg-config", "--modversion", "calbridge"], env=env).strip()
    if version != "0.1.0":
        raise SystemExit(f"pkg-config says version {version}")
    work = prefix_path / "consumer-build"
    work.mkdir()
    # An instrumented library (sanitizer builds) also needs the C++ runtime after it.
    cxx_runtime = ["-lstdc++"] if "-fsanitize-link-c++-runtime" in extra else []
    exe = work / "consumer_pkgconfig"
    run([cc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", *extra, str(HERE / "consumer" / "consumer.c"),
         "-o", str(exe), *flags, f"-Wl,-rpath,{lib}", *cxx_runtime])
    run([str(exe)])

    cmake_build = work / "cmake"
    sanitize = " ".join(f for f in extra if f != "-fsanitize-link-c++-runtime")
    configure = [cmake, "-S", str(HERE / "consumer"), "-B", str(cmake_build), f"-DCMAKE_PREFIX_PATH={prefix}",
                 f"-DCMAKE_C_COMPILER={cc}", f"-DCMAKE_C_FLAGS={sanitize}", f"-DCMAKE_EXE_LINKER_FLAGS={sanitize}"]
    if cxx_runtime:
        configure += ["-DCALBRIDGE_CONSUMER_LINK_AS_CXX=ON", f"-DCMAKE_CXX_COMPILER={cxx}",
                      f"-DCMAKE_CXX_FLAGS={sanitize}"]
    run(configure)
    run([cmake, "--build", str(cmake_build)])
    run([str(cmake_build / "consumer_cmake")])
    print("install: pkg-config and find_package consumers built and ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
