#!/usr/bin/env python3
"""Assembles gauntlet's wheel (PEP 427) from cargo-built artifacts; standard library only.

    build_wheel.py --bin-dir target/release --library target/release/libgauntlet_ffi.so --out dist

The wheel holds the Python package (python/gauntlet/*.py with the C library beside it), the
`gauntlet` and `gauntlet-ffmpeg` binaries as scripts (pip puts them on the environment's PATH),
and the dist-info (METADATA, WHEEL, RECORD with each file's sha256). The version and summary
are the crate's (Cargo.toml). Prints the wheel's path. scripts/build-wheel.sh builds and calls it.
"""

import argparse
import base64
import hashlib
import os
import re
import sys
import sysconfig
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "gauntlet"
BINARIES = ("gauntlet", "gauntlet-ffmpeg")
LIBRARY = "libgauntlet_ffi.so"


def crate_field(cargo_toml, key):
    """`key = "value"` of Cargo.toml's [package] table."""
    with open(cargo_toml, encoding="utf-8") as f:
        text = f.read()
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[)", text, re.M | re.S)
    found = package and re.search(rf'^{key}\s*=\s*"([^"]*)"', package.group(1), re.M)
    if not found:
        sys.exit(f"build_wheel: no {key} in [package] of {cargo_toml}")
    return found.group(1)


def platform_tag():
    # linux-x86_64 -> linux_x86_64: the binaries link the system's libraries, so the wheel
    # is for this platform only (not manylinux).
    return re.sub(r"[-.]", "_", sysconfig.get_platform())


def digest(data):
    sha = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={sha}"


class Wheel:
    def __init__(self, path, compression):
        self.zip = zipfile.ZipFile(path, "w", compression=compression, compresslevel=1)
        self.record = []

    def add(self, arcname, data, mode=0o644):
        self.write(arcname, data, mode)
        self.record.append(f"{arcname},{digest(data)},{len(data)}")

    def write(self, arcname, data, mode):
        # A fixed date: the same artifacts make the same wheel.
        info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = self.zip.compression
        self.zip.writestr(info, data)

    def close(self, record_name):
        # RECORD lists itself without a hash (PEP 376).
        lines = self.record + [f"{record_name},,"]
        self.write(record_name, ("\n".join(lines) + "\n").encode(), 0o644)
        self.zip.close()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        sys.exit(f"build_wheel: cannot read {path}: {e.strerror}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", required=True, help="folder holding gauntlet and gauntlet-ffmpeg")
    parser.add_argument("--library", required=True, help=f"the built {LIBRARY}")
    parser.add_argument("--out", required=True, help="folder to write the wheel to")
    parser.add_argument(
        "--store",
        action="store_true",
        help="store files uncompressed (faster for large debug binaries)",
    )
    args = parser.parse_args()

    cargo_toml = os.path.join(ROOT, "Cargo.toml")
    version = crate_field(cargo_toml, "version")
    summary = crate_field(cargo_toml, "description")
    license_name = crate_field(cargo_toml, "license")
    tag = f"py3-none-{platform_tag()}"
    dist_info = f"{NAME}-{version}.dist-info"
    data = f"{NAME}-{version}.data"
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{NAME}-{version}-{tag}.whl")

    compression = zipfile.ZIP_STORED if args.store else zipfile.ZIP_DEFLATED
    wheel = Wheel(path, compression)
    package_dir = os.path.join(ROOT, "python", NAME)
    for source in sorted(os.listdir(package_dir)):
        if source.endswith(".py"):
            wheel.add(f"{NAME}/{source}", read(os.path.join(package_dir, source)))
    wheel.add(f"{NAME}/{LIBRARY}", read(args.library), 0o755)
    for binary in BINARIES:
        wheel.add(f"{data}/scripts/{binary}", read(os.path.join(args.bin_dir, binary)), 0o755)
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {version}\n"
        f"Summary: {summary}\n"
        f"License: {license_name}\n"
        "Requires-Python: >=3.8\n"
    )
    wheel.add(f"{dist_info}/METADATA", metadata.encode())
    wheel_file = (
        "Wheel-Version: 1.0\n"
        "Generator: gauntlet scripts/build_wheel.py\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {tag}\n"
    )
    wheel.add(f"{dist_info}/WHEEL", wheel_file.encode())
    wheel.close(f"{dist_info}/RECORD")
    print(path)


if __name__ == "__main__":
    main()
