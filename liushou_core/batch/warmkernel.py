"""Warm kernels: each notebook's Jupyter kernel forked from a process that has already imported its libraries.

A township workbook's kernel spends more time importing (pandas, pandera — which imports dask.dataframe when
dask is installed —, matplotlib, the package) than most of its cells take. ``liushou run`` starts one
*template* process per batch that imports all of that once and then only waits. Each notebook's kernel is a
``fork`` of it: a new process, with its own copy of the template's memory, that starts where the imports
left off. Townships stay isolated — every kernel is a fresh process, used for one notebook and then shut
down; no kernel ever sees another's variables, and the template never runs notebook code.

How a kernel is started, without changing how papermill and jupyter_client work: the run's workers find,
through ``JUPYTER_PATH``, a kernel spec of the same name (``liushou``) whose command is a tiny launcher
(:mod:`liushou_core.batch._warm_launcher`, standard library only). The launcher hands its command line, working
folder, environment and standard streams to the template over a Unix socket; the template forks the
kernel; the launcher then stands in for it — it forwards signals (interrupt, terminate) and exits when the
kernel does — while the kernel exits when its launcher is gone (even killed), so stopping a notebook's
worker stops its kernel too. If the template is not reachable, the launcher starts an ordinary kernel.

POSIX only (``fork``, Unix sockets); elsewhere, and for other executors, kernels start cold as before.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: What a workbook notebook imports in its first cell, and what a kernel needs to start.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "liushou_core.workbooks.assistance",
    "liushou_core.workbooks.overview",
    "liushou_core.workbooks.display",
    "liushou_core.workbooks.headline",
    "liushou_core.workbooks.investigation",
    "liushou_core.workbooks.ledgers",
    "liushou_core.workbooks.payments",
    "liushou_core.workbooks.plots",
    "liushou_core.workbooks.protection",
    "liushou_core.workbooks.quality",
    "liushou_core.workbooks.rulenotes",
    "liushou_core.workbooks.rundata",
    "liushou_core.workbooks.tablestore",
)
#: Environment variable with the template's socket, for the launcher.
SOCKET_ENV = "LIUSHOU_WARM_KERNELS"
_WATCH_S = 0.2


def supported() -> bool:
    """Whether warm kernels can run here (``fork``, Unix sockets, descriptor passing)."""
    return os.name == "posix" and hasattr(os, "fork") and hasattr(socket, "send_fds")


# ------------------------------------------------------------------------------------------ the template


def serve(socket_path: str, parent: int) -> None:
    """The template process: import :data:`PRELOAD`, then fork a kernel for each launcher that connects.

    Never starts a thread (a fork copies only the forking thread); ends when the run that started it
    (``parent``) is gone or the socket is removed.
    """
    # What ipykernel would set before the notebook imports matplotlib, so the preloaded library reads the
    # same backend as in a cold kernel.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for module in PRELOAD:
        __import__(module)
    _preload_rules()
    signal.signal(signal.SIGCHLD, _reap)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(16)
    print("ready", flush=True)  # the run waits for this line
    while os.getppid() == parent and os.path.exists(socket_path):
        try:
            readable, _, _ = select.select([server], [], [], 1.0)
        except InterruptedError:  # pragma: no cover - select retries on EINTR since Python 3.5
            continue
        if not readable:
            continue
        conn, _ = server.accept()
        with conn:
            try:
                _fork_kernel(server, conn)
            except (OSError, ValueError) as exc:  # a launcher that went away: it starts a cold kernel
                print(f"warm kernel not started: {exc}", file=sys.stderr, flush=True)
    # The run that started it is gone (killed before it could clean up): leave no folder behind.
    shutil.rmtree(Path(socket_path).parent, ignore_errors=True)


def _reap(_signum: int, _frame: Any) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _preload_rules() -> None:
    """Parse the rules folder in use (the run's: ``LIUSHOU_PARAMS``) once, so no kernel parses it again
    (0.2 s each). Cached per folder: a kernel given another folder parses that one. A folder that does not
    load is left to the notebooks, which say why."""
    with contextlib.suppress(Exception):
        importlib.import_module("liushou_core.parameters").load_parameters()


def _fork_kernel(server: socket.socket, conn: socket.socket) -> None:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    while chunk := conn.recv(1 << 16):  # the launcher closes its side after the request
        data += chunk
    request = json.loads(data.decode("utf-8"))
    if len(fds) != 3:
        raise ValueError("the launcher must pass stdin, stdout and stderr")
    pid = os.fork()
    if pid == 0:  # the kernel
        try:
            server.close()
            conn.close()
            _become_kernel(request, fds)
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    conn.sendall(f"{pid}\n".encode())


def _become_kernel(request: dict[str, Any], fds: list[int]) -> None:
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()  # out of the template's session: its signals are not the kernel's
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    _exit_with(int(request["launcher"]))
    from ipykernel.kernelapp import IPKernelApp

    # The trait's default reads JPY_PARENT_PID when ipykernel is imported, i.e. in the template: read it now.
    app = IPKernelApp.instance(parent_handle=int(os.environ.get("JPY_PARENT_PID") or 0))
    app.initialize(list(request["argv"]))
    app.start()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _exit_with(launcher: int) -> None:
    """End this kernel as soon as its launcher is gone (stopped, killed, or its worker killed)."""
    import threading

    def watch() -> None:
        try:
            fd = os.pidfd_open(launcher)
        except (AttributeError, OSError):  # no pidfd (old Linux): poll the pid
            while _alive(launcher):
                time.sleep(_WATCH_S)
            os._exit(3)
        select.select([fd], [], [])
        os._exit(3)

    threading.Thread(target=watch, name="liushou-launcher-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process took the pid
        return False
    return True


# ------------------------------------------------------------------------------------------------ the run


@contextlib.contextmanager
def warm_kernels(kernel_name: str) -> Iterator[dict[str, str]]:
    """Start a template for ``kernel_name``'s kernels; yield the environment a worker needs to use it.

    The template and its spec live in a temporary folder removed at the end; kernels still running then
    keep working (they only need their launcher).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    if spec.argv[-4:-1] != ["-m", "ipykernel_launcher", "-f"]:
        yield {}  # not an ipykernel started the usual way: its kernels start cold
        return
    folder = Path(tempfile.mkdtemp(prefix="liushou-warm-"))
    socket_path = str(folder / "template.sock")
    python = spec.argv[0]
    flags = spec.argv[1 : spec.argv.index("-m")]
    kernel_dir = folder / "kernels" / kernel_name
    kernel_dir.mkdir(parents=True)
    launcher = Path(__file__).with_name("_warm_launcher.py")
    (kernel_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [python, "-I", "-S", str(launcher), *spec.argv[spec.argv.index("-m") :]],
                "display_name": spec.display_name,
                "language": spec.language,
                "metadata": spec.metadata,
                "env": {SOCKET_ENV: socket_path},
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    template = subprocess.Popen(
        [python, *flags, "-m", "liushou_core.batch.warmkernel", "serve", socket_path, str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"},
        start_new_session=True,
    )
    try:
        assert template.stdout is not None
        ready = template.stdout.readline().strip() == b"ready"
        env = {"JUPYTER_PATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))}
        yield env if ready else {}
    finally:
        with contextlib.suppress(ProcessLookupError):
            template.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            template.wait(timeout=5)
        if template.poll() is None:
            template.kill()
            template.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "serve":
        serve(argv[1], int(argv[2]))
        return 0
    print(
        "用法：python -m liushou_core.batch.warmkernel serve SOCKET PARENT_PID（由 liushou run 调用）",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
