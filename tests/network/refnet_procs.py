"""Process plumbing for the local reference network: spawn, watch, stop, inspect.

Every service runs in its own process group (so stopping it stops its children too) and, when
the controller stays attached, dies with the controller even if that is killed outright
(``PR_SET_PDEATHSIG``). Linux only, like the services themselves.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)
_LISTEN_STATE = "0A"


class ServiceError(RuntimeError):
    """A service of the local network could not start, died, or would not stop."""


@dataclass(frozen=True)
class RunAs:
    """A non-root account to run a service as (PostgreSQL refuses to run as root)."""

    uid: int
    gid: int
    name: str

    @staticmethod
    def for_postgres() -> RunAs | None:
        """The ``postgres`` account when we are root; ``None`` (run as ourselves) otherwise."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise ServiceError(
                "running as root, but there is no 'postgres' user to run PostgreSQL as; "
                "run `make network-install` (it installs Debian's postgresql package)"
            ) from None
        return RunAs(uid=entry.pw_uid, gid=entry.pw_gid, name=entry.pw_name)

    def give(self, path: Path) -> None:
        """Hand a directory to this account."""
        os.chown(path, self.uid, self.gid)


def _child_setup(
    run_as: RunAs | None, die_with_parent: bool, parent_pid: int
) -> Callable[[], None]:
    def setup() -> None:  # runs in the child between fork and exec: keep it minimal
        if run_as is not None:
            os.setgroups([])
            os.setgid(run_as.gid)
            os.setuid(run_as.uid)
        if die_with_parent:
            # after setuid: changing credentials clears the parent-death signal
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent_pid:  # the parent died before the prctl
                os._exit(1)

    return setup


@dataclass
class Service:
    """One running service process (leader of its own process group)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stop_signal: signal.Signals = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        return self.process.poll()

    def describe_exit(self) -> str:
        code = self.process.poll()
        if code is None:
            return f"{self.name} (pid {self.pid}) is running"
        how = (
            f"was killed by {signal.Signals(-code).name}"
            if code < 0
            else f"exited with code {code}"
        )
        return f"{self.name} (pid {self.pid}) {how}"

    def stop(self, grace: float) -> None:
        """Signal the whole group, wait up to ``grace`` seconds, then kill what is left."""
        stop_group(self.pid, self.stop_signal, grace)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1)


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: Path | None = None,
    run_as: RunAs | None = None,
    die_with_parent: bool = True,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Service:
    """Start ``argv`` in a new session, stderr (and stdout unless given) into ``log``."""
    with open(log, "ab") as err, open(stdout or log, "ab") as out:
        try:
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=None if env is None else dict(env),
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_child_setup(run_as, die_with_parent, os.getpid()),
            )
        except OSError as exc:
            raise ServiceError(f"cannot start {name} ({argv[0]}): {exc.strerror}") from exc
    return Service(name=name, process=process, log=log, stop_signal=stop_signal)


def group_members(pgids: Iterable[int]) -> list[int]:
    """Pids of every live process in the given process groups."""
    wanted = set(pgids)
    members: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # fields after the ")" that ends the command name: state ppid pgrp ...
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) in wanted:
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, sig: signal.Signals, grace: float) -> None:
    """Send ``sig`` to a process group; SIGKILL it if anything is left after ``grace`` s."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_members([pgid]):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while group_members([pgid]) and time.monotonic() < deadline:
        time.sleep(0.05)


def rss_bytes(pids: Iterable[int]) -> int:
    """Resident memory of the given processes, summed (processes that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


@dataclass(frozen=True)
class ListeningSocket:
    host: str
    port: int
    pid: int


def _socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        fds = list(fd_dir.iterdir())
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _decode_address(hex_address: str) -> tuple[str, int]:
    host_hex, port_hex = hex_address.split(":")
    raw = bytes.fromhex(host_hex)
    if len(raw) == 4:
        host = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # /proc/net/tcp6 stores four little-endian 32-bit words
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        host = socket.inet_ntop(socket.AF_INET6, words)
    return host, int(port_hex, 16)


def listening_sockets(pids: Iterable[int]) -> list[ListeningSocket]:
    """Every TCP socket in LISTEN state owned by one of ``pids`` (IPv4 and IPv6)."""
    owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    found: list[ListeningSocket] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == _LISTEN_STATE and inode in owner:
                host, port = _decode_address(local)
                found.append(ListeningSocket(host=host, port=port, pid=owner[inode]))
    return found


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:``port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the servers do: connections of a stopped server lingering in TIME_WAIT do not count
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that are free on 127.0.0.1 now (the kernel picks them)."""
    probes: list[socket.socket] = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, for error messages (never the whole file)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    kept = text.splitlines()[-lines:]
    return "\n".join(f"    | {line}" for line in kept) if kept else "    | (empty)"


def wait_for_line(
    path: Path,
    markers: Sequence[str],
    *,
    service: Service,
    deadline: float,
) -> str | None:
    """Poll ``path`` until a line contains one of ``markers``; ``None`` once past ``deadline``.

    Raises :class:`ServiceError` as soon as ``service`` exits instead of waiting for the deadline.
    """
    while True:
        exited = service.exit_code() is not None  # before reading: its last words count too
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            text = ""
        for line in text.splitlines():
            if any(marker in line for marker in markers):
                return line
        if exited:
            raise ServiceError(
                f"{service.describe_exit()} while starting; last lines of {service.log}:\n"
                f"{tail(service.log)}"
            )
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)
