"""The Jupyter kernel the workbooks run in: found, or registered for the Python that runs liushou.

``make install`` registers the kernel ``liushou`` for JupyterLab users; a plain ``pip install`` (a wheel,
the offline installer) has no such step. So before the first notebook starts, :func:`ensure_kernel` makes
sure the kernel ``liushou`` starts *this* interpreter (``sys.executable``), where the package is installed:

- a ``liushou`` kernel spec whose command is this interpreter is used as it is;
- none at all: one is registered in this environment (``sys.prefix/share/jupyter/kernels/liushou``, what
  ``python -m ipykernel install --sys-prefix`` writes), so JupyterLab sees it too;
- one that starts another Python (an old virtualenv's, a user-wide one), or an environment that cannot be
  written (a Python installed for all users on Windows): a spec for this interpreter is written to a
  folder of its own, put first on ``JUPYTER_PATH`` for this process and every process it starts. The user's
  own kernel specs are never changed.

A kernel asked for by another name (a test's, a statistician's) is not registered: it must exist.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from liushou_core.errors import ConfigError

#: The Jupyter kernel the workbooks run in.
KERNEL_NAME = "liushou"
DISPLAY_NAME = "Python (liushou)"


def kernel_spec(python: str) -> dict[str, object]:
    """The kernel.json of an ipykernel started by ``python`` (the same one ``ipykernel install`` writes)."""
    return {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }


def ensure_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Make sure ``kernel_name`` exists; the default kernel is made to start this interpreter (module doc).

    Raises :class:`ConfigError` when another kernel is asked for and it is not installed.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        spec = None
    if kernel_name != KERNEL_NAME:
        if spec is None:
            raise ConfigError(
                f"找不到 Jupyter 内核“{kernel_name}”。请先安装它，"
                f"例如 python -m ipykernel install --sys-prefix --name {kernel_name}"
            )
        return
    if spec is not None and spec.argv and _same_python(spec.argv[0], sys.executable):
        return
    if spec is None and _write_spec(Path(sys.prefix) / "share" / "jupyter", kernel_name):
        return
    folder = Path(tempfile.mkdtemp(prefix="liushou-kernel-"))
    if not _write_spec(folder, kernel_name):  # pragma: no cover - the temporary folder is not writable
        raise ConfigError(f"无法登记 Jupyter 内核“{kernel_name}”：临时文件夹 {folder} 不可写")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))


def _same_python(command: str, python: str) -> bool:
    """Whether a kernel's command is this interpreter (paths compared as written: a virtualenv's python is a
    link to the base interpreter, which has other packages)."""
    return os.path.normcase(os.path.abspath(command)) == os.path.normcase(os.path.abspath(python))


def _write_spec(data_dir: Path, kernel_name: str) -> bool:
    """Write the kernel spec under ``data_dir/kernels/``; False if that folder cannot be written."""
    folder = data_dir / "kernels" / kernel_name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(
            json.dumps(kernel_spec(sys.executable), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    except OSError:
        return False
    return True
