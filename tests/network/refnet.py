"""Controller for the local reference AT Protocol network (PLC, PDS, AppView) on 127.0.0.1.

``ReferenceNetwork`` starts private PostgreSQL and Redis instances (data in a temporary folder,
never the system services) and ``network/start.mjs`` under Node 22; ``LonePds`` starts just a PDS,
optionally one whose access tokens expire within seconds. Both are context managers, wait for the
ready line with a deadline, and stop every process they started (process groups, plus an atexit
hook; when attached, the services also die with this process if it is killed). Start them from a
thread that outlives them (the main thread): the kernel's parent-death signal follows the thread
that spawned a service.

For humans, ``refnet_cli.py`` (``make network-up`` / ``make network-down``) runs one in the
background.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from refnet_procs import (
    RunAs,
    Service,
    ServiceError,
    free_ports,
    group_members,
    port_is_free,
    rss_bytes,
    spawn,
    stop_group,
    tail,
    wait_for_line,
)
from refnet_xrpc import Account, XrpcCallError, call, create_account, poll

REPO_ROOT = Path(__file__).resolve().parents[2]
NETWORK_DIR = REPO_ROOT / "network"
READY_MARKER = "ATLEX_NETWORK_READY "
ERROR_MARKER = "ATLEX_NETWORK_ERROR "
STARTUP_TIMEOUT = float(os.environ.get("ATLEX_NETWORK_STARTUP_TIMEOUT", "240"))
INSTALL_HINT = "run `make network-install` (it prints what goes wrong)"


class NetworkError(RuntimeError):
    """The local network could not be started, stopped or used. The message says what to do."""


class NotInstalledError(NetworkError):
    """Node 22 or the npm packages are missing or half-installed."""


class PortInUseError(NetworkError):
    """A port the network needs on 127.0.0.1 is taken."""


class StartupTimeoutError(NetworkError):
    """The services did not report ready before the deadline."""


class ServiceDiedError(NetworkError):
    """A service process exited while it should be running."""


@dataclass(frozen=True)
class ReadyInfo:
    """What ``network/start.mjs`` prints once every server listens (its ready line)."""

    mode: str
    pid: int
    startup_ms: int
    pds: str  # http://127.0.0.1:PORT: use this for requests
    pds_public_url: str  # http://localhost:PORT: what the PDS advertises (DID documents)
    pds_did: str
    plc: str
    appview: str | None
    appview_did: str | None
    handle_domain: str
    access_ttl: str
    listeners: tuple[tuple[str, int], ...]
    refused_outbound: int
    admin_password: str = field(repr=False)
    jwt_secret: str = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)

    @staticmethod
    def parse(line: str) -> ReadyInfo:
        try:
            data: dict[str, Any] = json.loads(line.split(READY_MARKER, 1)[1])
            return ReadyInfo(
                mode=str(data["mode"]),
                pid=int(data["pid"]),
                startup_ms=int(data["startupMs"]),
                pds=str(data["pds"]),
                pds_public_url=str(data["pdsPublicUrl"]),
                pds_did=str(data["pdsDid"]),
                plc=str(data["plc"]),
                appview=None if data["appview"] is None else str(data["appview"]),
                appview_did=None if data["appviewDid"] is None else str(data["appviewDid"]),
                handle_domain=str(data["handleDomain"]),
                access_ttl=str(data["accessTtl"]),
                listeners=tuple(
                    (str(item["host"]), int(item["port"])) for item in data["listeners"]
                ),
                refused_outbound=int(data["refusedOutbound"]),
                admin_password=str(data["adminPassword"]),
                jwt_secret=str(data["jwtSecret"]),
                raw=data,
            )
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            raise NetworkError(
                f"network/start.mjs printed a ready line this controller cannot read ({exc!r}); "
                "are tests/network/refnet.py and network/start.mjs from the same checkout?"
            ) from exc

    @property
    def access_ttl_seconds(self) -> float:
        """The access-token lifetime in seconds ('3s' -> 3.0, '120mins' -> 7200.0)."""
        digits = "".join(ch for ch in self.access_ttl if ch.isdigit())
        unit = self.access_ttl[len(digits) :]
        return float(digits) * (60.0 if unit.startswith("m") else 1.0)


@dataclass(frozen=True)
class Toolchain:
    """Where the installed network lives; checked before anything starts."""

    network_dir: Path = NETWORK_DIR

    @property
    def node(self) -> Path:
        return self.network_dir / "node22" / "node_modules" / "node" / "bin" / "node"

    @property
    def start_script(self) -> Path:
        return self.network_dir / "start.mjs"

    def check(self) -> None:
        if not self.node.is_file():
            raise NotInstalledError(f"Node 22 is not installed (no {self.node}); {INSTALL_HINT}")
        if not (self.network_dir / "node_modules" / "@atproto" / "dev-env").is_dir():
            raise NotInstalledError(
                f"the npm packages are not installed (no {self.network_dir}/node_modules/@atproto/"
                f"dev-env); {INSTALL_HINT}"
            )
        if not (self.network_dir / "node_modules" / ".atlex-install-stamp").is_file():
            raise NotInstalledError(
                "the last `make network-install` did not finish (no install stamp in "
                f"{self.network_dir}/node_modules); {INSTALL_HINT}"
            )

    def env(self, extra: Mapping[str, str]) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.node.parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("NODE_OPTIONS", None)  # a user's flags must not change how the services run
        env.update(extra)
        return env


def _postgres_bin() -> Path:
    """The folder with ``initdb`` and ``postgres`` (Debian keeps them off PATH)."""
    override = os.environ.get("ATLEX_PG_BIN")
    candidates = [Path(override)] if override else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("postgres")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "postgres").is_file() and (folder / "initdb").is_file():
            return folder
    raise NotInstalledError(f"the PostgreSQL server is not installed; {INSTALL_HINT}")


def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise NotInstalledError(f"redis-server is not installed; {INSTALL_HINT}")
    return found


def _check_ports_free(ports: Mapping[str, int]) -> None:
    taken = {name: port for name, port in ports.items() if not port_is_free(port)}
    if taken:
        listing = ", ".join(f"{port} ({name})" for name, port in taken.items())
        raise PortInUseError(
            f"port(s) {listing} on 127.0.0.1 already in use; stop what holds them "
            "(an earlier `make network-up`? then `make network-down`) or choose other ports"
        )


class _Controller:
    """Shared lifecycle: a run folder, services started in order, stopped in reverse order."""

    def __init__(self, *, attached: bool, keep_logs: bool, startup_timeout: float) -> None:
        self.attached = attached
        self.startup_timeout = startup_timeout
        self.keep_logs = keep_logs or os.environ.get("ATLEX_NETWORK_KEEP_LOGS") == "1"
        self.run_dir: Path | None = None
        self.services: list[Service] = []
        self.started_pgids: list[
            int
        ] = []  # every group ever started, to prove none outlives stop()
        self._info: ReadyInfo | None = None
        self._failed = False
        self._node_starts = 0

    @property
    def info(self) -> ReadyInfo:
        if self._info is None:
            raise NetworkError("the network is not running: call start() or use it as `with ...:`")
        return self._info

    def _make_run_dir(self) -> Path:
        run_dir = Path(tempfile.mkdtemp(prefix="atlex-network-"))
        run_dir.chmod(0o755)  # PostgreSQL runs as another user and must reach its folder
        self.run_dir = run_dir
        if self.attached:
            atexit.register(self.stop)
        return run_dir

    def _track(self, service: Service) -> None:
        self.services.append(service)
        self.started_pgids.append(service.pid)

    def _start_node(self, args: list[str], env: Mapping[str, str], toolchain: Toolchain) -> None:
        assert self.run_dir is not None
        self._node_starts += 1  # a restart gets its own files: the old ready line is not its own
        name = "node" if self._node_starts == 1 else f"node-{self._node_starts}"
        out = self.run_dir / f"{name}.out"
        service = spawn(
            "the Node services (network/start.mjs)",
            [str(toolchain.node), str(toolchain.start_script), *args],
            log=self.run_dir / f"{name}.log",
            stdout=out,
            env=toolchain.env({**env, "TMPDIR": str(self.run_dir)}),
            cwd=toolchain.network_dir,
            die_with_parent=self.attached,
        )
        self._track(service)
        deadline = time.monotonic() + self.startup_timeout
        line = wait_for_line(out, [READY_MARKER, ERROR_MARKER], service=service, deadline=deadline)
        if line is None:
            raise StartupTimeoutError(
                f"the services did not report ready within {self.startup_timeout:.0f} s "
                f"(ATLEX_NETWORK_STARTUP_TIMEOUT); last lines of {service.log}:\n{tail(service.log)}"
            )
        if ERROR_MARKER in line:
            error = json.loads(line.split(ERROR_MARKER, 1)[1])
            what, hint = str(error.get("what")), str(error.get("hint"))
            kind = PortInUseError if "already in use" in what else NetworkError
            raise kind(f"{what}; {hint} (log: {service.log})")
        self._info = ReadyInfo.parse(line)

    def _guarded_start(self, body: Callable[[], None]) -> None:
        try:
            body()
        except ServiceError as exc:
            self._failed = True
            self.stop()
            raise NetworkError(f"{exc}\n(logs kept in {self.run_dir})") from exc
        except BaseException:
            self._failed = True
            self.stop()
            raise

    # --- running -------------------------------------------------------------------------------
    @property
    def pids(self) -> list[int]:
        """Every live process the network consists of (all members of its process groups)."""
        return group_members(service.pid for service in self.services)

    def rss_bytes(self) -> int:
        return rss_bytes(self.pids)

    def check_alive(self) -> None:
        """Raise :class:`ServiceDiedError` naming the first service that is no longer running."""
        for service in self.services:
            if service.exit_code() is not None:
                self._failed = True
                raise ServiceDiedError(
                    f"{service.describe_exit()} while the network was in use; last lines of "
                    f"{service.log}:\n{tail(service.log)}\nThe network is unusable now: look at "
                    "the log, then rerun (a fresh network starts with the next test session)."
                )

    def create_account(self, name: str) -> Account:
        """A fresh account on this PDS (handle ``<name><6 hex digits>.test``), logged in."""
        self.check_alive()
        try:
            return create_account(self.info.pds, name, handle_domain=self.info.handle_domain)
        except httpx.TransportError:
            self.check_alive()  # a dead server explains the failure better than the socket error
            raise

    def stop(self) -> None:
        """Stop every service (idempotent); remove the run folder unless something failed."""
        for service in reversed(self.services):
            service.stop(grace=20)
        self.services = []
        self._info = None
        if self.run_dir is not None and not self._failed and not self.keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def stop_and_report(self) -> None:
        """``stop``, then say where the logs are if they were kept."""
        self.stop()
        if self.run_dir is not None and self.run_dir.exists():
            print(f"network logs kept in {self.run_dir}", file=sys.stderr)


class ReferenceNetwork(_Controller):
    """PLC + PDS + AppView (dev-env ``TestNetwork``) with private PostgreSQL and Redis."""

    SERVICE_PORTS = ("postgres", "redis", "plc", "pds", "appview", "ozone")
    DEFAULT_PORTS: Mapping[str, int] = {
        "plc": 2582,
        "pds": 2583,
        "appview": 2584,
        "ozone": 2585,
        "postgres": 5433,
        "redis": 6380,
    }

    def __init__(
        self,
        *,
        ports: Mapping[str, int] | None = None,
        toolchain: Toolchain | None = None,
        attached: bool = True,
        keep_logs: bool = False,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(attached=attached, keep_logs=keep_logs, startup_timeout=startup_timeout)
        self.toolchain = toolchain or Toolchain()
        if ports is None:
            ports = dict(zip(self.SERVICE_PORTS, free_ports(len(self.SERVICE_PORTS)), strict=True))
        missing = set(self.SERVICE_PORTS) - set(ports)
        if missing:
            raise ValueError(f"ports: missing {sorted(missing)}")
        self.ports = dict(ports)

    def __enter__(self) -> ReferenceNetwork:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_and_report()

    def start(self) -> ReadyInfo:
        self.toolchain.check()
        pg_bin = _postgres_bin()
        redis = _redis_server()
        run_as = RunAs.for_postgres()
        _check_ports_free(self.ports)
        run_dir = self._make_run_dir()

        def body() -> None:
            self._start_postgres(pg_bin, run_as, run_dir)
            self._start_redis(redis, run_dir)
            self._start_node(
                [
                    "--mode=network",
                    f"--plc-port={self.ports['plc']}",
                    f"--pds-port={self.ports['pds']}",
                    f"--appview-port={self.ports['appview']}",
                    f"--ozone-port={self.ports['ozone']}",
                ],
                {
                    "DB_POSTGRES_URL": self.postgres_url,
                    "REDIS_HOST": f"127.0.0.1:{self.ports['redis']}",
                },
                self.toolchain,
            )

        self._guarded_start(body)
        return self.info

    def create_account(self, name: str) -> Account:
        """A fresh account, logged in, and already known to the AppView (so that reads about it
        through ``app.bsky.*`` do not race the indexer)."""
        account = super().create_account(name)
        self.wait_until_indexed(account.did)
        return account

    def wait_until_indexed(self, did: str, timeout: float = 30.0) -> None:
        """Poll the AppView until it has indexed the account ``did``."""
        appview = self.info.appview
        assert appview is not None

        def known() -> bool:
            try:
                call(appview, "app.bsky.actor.getProfile", params={"actor": did})
            except XrpcCallError as exc:
                if exc.body == {"error": "InvalidRequest", "message": "Profile not found"}:
                    return False  # not indexed yet
                raise
            return True

        poll(known, bool, timeout=timeout, what=f"the AppView indexing {did}")

    @property
    def postgres_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports['postgres']}/postgres"

    def _start_postgres(self, pg_bin: Path, run_as: RunAs | None, run_dir: Path) -> None:
        pg_dir = run_dir / "postgres"
        pg_dir.mkdir()
        if run_as is not None:
            run_as.give(pg_dir)
        data = pg_dir / "data"
        initdb = spawn(
            "initdb",
            [
                *(str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"),
                *("--no-sync", "--encoding=UTF8", "--locale=C"),
            ],
            log=run_dir / "initdb.log",
            run_as=run_as,
            die_with_parent=self.attached,
        )
        self.started_pgids.append(initdb.pid)
        try:
            code = initdb.process.wait(timeout=120)
        except Exception:
            initdb.stop(grace=1)
            raise
        if code != 0:
            raise ServiceError(f"initdb failed (exit {code}):\n{tail(initdb.log)}")
        # fast and throw-away: no fsync; TCP on loopback only, no unix socket
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.ports["postgres"]),
            "unix_socket_directories": "",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        argv = [str(pg_bin / "postgres"), "-D", str(data)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        service = spawn(
            "PostgreSQL",
            argv,
            log=run_dir / "postgres.log",
            run_as=run_as,
            die_with_parent=self.attached,
            stop_signal=signal.SIGINT,  # "fast" shutdown: the data is thrown away anyway
        )
        self._track(service)
        line = wait_for_line(
            service.log,
            ["ready to accept connections", "could not bind", "could not create listen socket"],
            service=service,
            deadline=time.monotonic() + 60,
        )
        self._raise_unless_ready(service, line, "ready to accept", "postgres")

    def _start_redis(self, redis: str, run_dir: Path) -> None:
        redis_dir = run_dir / "redis"
        redis_dir.mkdir()
        service = spawn(
            "Redis",
            [
                *(redis, "--port", str(self.ports["redis"]), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(redis_dir), "--daemonize", "no"),
            ],
            log=run_dir / "redis.log",
            die_with_parent=self.attached,
        )
        self._track(service)
        line = wait_for_line(
            service.log,
            ["Ready to accept connections", "Address already in use", "Could not create server"],
            service=service,
            deadline=time.monotonic() + 60,
        )
        self._raise_unless_ready(service, line, "Ready to accept", "redis")

    def _raise_unless_ready(
        self, service: Service, line: str | None, ok: str, port_name: str
    ) -> None:
        if line is not None and ok in line:
            return
        if line is not None and ("bind" in line or "in use" in line or "listen" in line):
            raise PortInUseError(
                f"{service.name} cannot listen on 127.0.0.1:{self.ports[port_name]}: {line.strip()}; "
                "stop what holds that port or choose another"
            )
        raise StartupTimeoutError(
            f"{service.name} did not become ready in time; last lines of {service.log}:\n"
            f"{tail(service.log)}"
        )


class LonePds(_Controller):
    """One PDS (plus its own in-memory PLC unless ``plc_url`` is given).

    ``access_ttl`` (e.g. ``"3s"``) makes every access token it issues expire that fast; the PDS
    hard-codes 2 h, so ``network/access-ttl.mjs`` rewrites that default while the module loads.
    Give ``plc_url`` / ``appview_url`` / ``appview_did`` of a ``ReferenceNetwork`` to let its
    accounts use that network's AppView (``app.bsky.*`` reads through this PDS).
    ``oauth_access_ttl`` / ``dpop_nonce_max_age`` (seconds) shorten the OAuth provider's token
    lifetime and DPoP nonce rotation (``network/oauth-timing.mjs``).
    ``persistent`` (needs ``plc_url``) keeps the PDS's databases, blobs and keys in the run
    folder: :meth:`kill` crashes it, :meth:`restart` brings the same PDS back on the same port.
    """

    def __init__(
        self,
        *,
        access_ttl: str | None = None,
        oauth_access_ttl: int | None = None,
        dpop_nonce_max_age: int | None = None,
        plc_url: str | None = None,
        appview_url: str | None = None,
        appview_did: str | None = None,
        persistent: bool = False,
        ports: Mapping[str, int] | None = None,
        toolchain: Toolchain | None = None,
        attached: bool = True,
        keep_logs: bool = False,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(attached=attached, keep_logs=keep_logs, startup_timeout=startup_timeout)
        if persistent and plc_url is None:
            raise ValueError("persistent=True needs plc_url: a lone PLC lives in memory")
        self.persistent = persistent
        self.toolchain = toolchain or Toolchain()
        self.access_ttl = access_ttl
        self.oauth_times = (oauth_access_ttl, dpop_nonce_max_age)
        self.plc_url = plc_url
        self.appview = (appview_url, appview_did)
        names = ["pds"] if plc_url else ["pds", "plc"]
        self.ports = (
            dict(ports)
            if ports is not None
            else dict(zip(names, free_ports(len(names)), strict=True))
        )

    def __enter__(self) -> LonePds:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_and_report()

    def start(self) -> ReadyInfo:
        self.toolchain.check()
        _check_ports_free(self.ports)
        self._make_run_dir()
        return self._launch()

    def kill(self) -> None:
        """SIGKILL the PDS process (a crash: nothing shuts down); its data stays for restart()."""
        for service in self.services:
            stop_group(service.pid, signal.SIGKILL, grace=10)
            service.process.wait(timeout=10)
        self.services = []
        self._info = None

    def restart(self) -> ReadyInfo:
        """Start the killed PDS again: same port, same data and keys (``persistent`` only)."""
        if not self.persistent or self.run_dir is None:
            raise NetworkError("restart() needs a started LonePds(persistent=True)")
        if self.services:
            raise NetworkError("the PDS is still running: kill() it first")
        _check_ports_free(self.ports)
        return self._launch()

    def _launch(self) -> ReadyInfo:
        assert self.run_dir is not None
        args = ["--mode=pds", f"--pds-port={self.ports['pds']}"]
        if "plc" in self.ports and not self.plc_url:
            args.append(f"--plc-port={self.ports['plc']}")
        if self.plc_url:
            args.append(f"--plc-url={self.plc_url}")
        url, did = self.appview
        if url is not None and did is not None:
            args += [f"--appview-url={url}", f"--appview-did={did}"]
        if self.access_ttl is not None:
            args.append(f"--access-ttl={self.access_ttl}")
        token_ttl, nonce_max_age = self.oauth_times
        if token_ttl is not None:
            args.append(f"--oauth-access-ttl={token_ttl}")
        if nonce_max_age is not None:
            args.append(f"--dpop-nonce-max-age={nonce_max_age}")
        if self.persistent:
            args.append(f"--data-dir={self.run_dir / 'pds-state'}")
        self._guarded_start(lambda: self._start_node(args, {}, self.toolchain))
        return self.info
