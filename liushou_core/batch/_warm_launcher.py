"""The command of a warm kernel spec (:mod:`liushou_core.batch.warmkernel`); standard library only, so it starts fast.

``python -I -S _warm_launcher.py -m ipykernel_launcher -f CONNECTION_FILE [kernel options]``: asks the run's
template process (socket in ``LIUSHOU_WARM_KERNELS``) to fork a kernel with these options, this folder,
this environment and these standard streams; then stands in for it: forwards interrupt and terminate
signals, and exits when the kernel does. Without a template it becomes an ordinary kernel.
"""

import contextlib
import json
import os
import select
import signal
import socket
import sys


def _cold(argv: list) -> None:
    os.execv(sys.executable, [sys.executable, *argv])


def main(argv: list) -> int:
    path = os.environ.get("LIUSHOU_WARM_KERNELS", "")
    kernel_args = argv[argv.index("ipykernel_launcher") + 1 :] if "ipykernel_launcher" in argv else argv
    request = {"argv": kernel_args, "cwd": os.getcwd(), "env": dict(os.environ), "launcher": os.getpid()}
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode("utf-8")], [0, 1, 2])
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(64)
            if not chunk:
                break
            reply += chunk
        pid = int(reply)
        conn.close()
    except (OSError, ValueError):
        _cold(argv)
        return 1  # not reached

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    while True:
        if fd is not None:
            if select.select([fd], [], [], 1.0)[0]:
                return 0
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return 0
            select.select([], [], [], 0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
