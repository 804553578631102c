"""``make wheelhouse``: an offline installer for county PCs with no internet (government intranets).

Writes OUT (default ``dist/wheelhouse``) with the project's wheel and every dependency, including JupyterLab
(the ``lab`` extra), as binary wheels for each target below, pinned by ``constraints.txt``; plus 安装.bat
(Windows: GBK, CRLF, so that cmd.exe shows it), install.sh and 说明.txt, copied from this folder. Copy OUT to a
USB stick; on the county PC run 安装.bat. Nothing is compiled there and nothing is fetched.

``--dry-run`` only resolves each target's set (``pip install --dry-run --only-binary=:all:``, nothing is
installed): the check that every dependency has a wheel for that system (tests/test_wheelhouse.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONSTRAINTS = ROOT / "constraints.txt"
#: Linux wheels for glibc 2.28 or later (pip takes the tags given, it does not add the older ones itself).
LINUX = tuple(
    f"manylinux{tag}_x86_64"
    for tag in ("_2_28", "_2_27", "_2_24", "_2_17", "2014", "_2_12", "2010", "_2_5", "1")
)
#: target name → pip's platform tags and Python version (CPython only). The full version matters: some pinned
#: dependencies need 3.11.5 or later, so the set is resolved for the last 3.11 and 3.12 Windows installers.
TARGETS: dict[str, tuple[tuple[str, ...], str]] = {
    "win_amd64-3.11": (("win_amd64",), "3.11.9"),
    "win_amd64-3.12": (("win_amd64",), "3.12.10"),
    "linux_x86_64-3.11": (LINUX, "3.11.9"),
    "linux_x86_64-3.12": (LINUX, "3.12.10"),
}
EXTRAS = "[lab]"
#: Files copied beside the wheels: name → (encoding, line ending)
SCRIPTS = {"安装.bat": ("gbk", "\r\n"), "install.sh": ("utf-8", "\n"), "说明.txt": ("utf-8-sig", "\r\n")}


def build_wheel(out: Path) -> Path:
    """Build the project's wheel into ``out``; return its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)], check=True
    )
    return max(out.glob("liushou-*.whl"), key=lambda p: p.stat().st_mtime)


def target_command(wheel: Path, target: str, out: Path, *, dry_run: bool) -> list[str]:
    """The pip command that downloads (or only resolves) ``target``'s wheels."""
    platforms, version = TARGETS[target]
    common = ["--only-binary=:all:", *(f"--platform={tag}" for tag in platforms)]
    common += ["--python-version", version, "--implementation", "cp"]
    common += ["-c", str(CONSTRAINTS), f"{wheel}{EXTRAS}"]
    if dry_run:
        return [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                "--target", str(out / f".dry-run-{target}"), *common]  # fmt: skip
    return [sys.executable, "-m", "pip", "download", "--quiet", "-d", str(out), *common]


def write_scripts(out: Path) -> None:
    """Copy the install scripts and the Chinese guide, in the encoding their system reads."""
    for name, (encoding, newline) in SCRIPTS.items():
        text = (HERE / name).read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", newline)
        (out / name).write_bytes(text.encode(encoding))
    (out / "install.sh").chmod(0o755)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=ROOT / "dist" / "wheelhouse")
    parser.add_argument("--target", action="append", choices=list(TARGETS), help="default: every target")
    parser.add_argument("--dry-run", action="store_true", help="only check that each target's set resolves")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp) if args.dry_run else out)
        for target in args.target or list(TARGETS):
            print(f"{target}: {'resolving' if args.dry_run else 'downloading'}", flush=True)
            subprocess.run(target_command(wheel, target, out, dry_run=args.dry_run), check=True)
            shutil.rmtree(out / f".dry-run-{target}", ignore_errors=True)
    if not args.dry_run:
        write_scripts(out)
        count = len(list(out.glob("*.whl")))
        size = sum(p.stat().st_size for p in out.glob("*.whl")) / 2**20
        print(f"{out}: {count} wheels, {size:.0f} MiB; 安装.bat / install.sh / 说明.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
