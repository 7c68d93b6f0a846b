"""`make network-up` / `make network-down`: the local reference network for humans.

    python tests/network/refnet_cli.py up [--base-port N]   # start in the background
    python tests/network/refnet_cli.py down                 # stop it

``up`` uses fixed ports (PLC 2582, PDS 2583, AppView 2584, ozone 2585, PostgreSQL 5433, Redis
6380), or N..N+5 in that order with ``--base-port N`` (``make network-up NETWORK_PORT_BASE=N``), so
that two clones can each run one. It creates a ready account (``alice.test``, its password in a
private file) and prints the exact commands that log in and post with it. Its state (process
groups, run folder, ready line with the admin password) is kept in ``.cache/network/state.json``
(``$ATLEX_NETWORK_STATE_DIR`` overrides the folder), readable by its owner only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: find the siblings

from refnet import REPO_ROOT, NetworkError, PortInUseError, ReferenceNetwork
from refnet_procs import group_members, port_is_free, stop_group
from refnet_xrpc import call

DEMO_NAME = "alice"
PORT_BASE_VARIABLE = "NETWORK_PORT_BASE"


def state_dir() -> Path:
    override = os.environ.get("ATLEX_NETWORK_STATE_DIR")
    return Path(override) if override else REPO_ROOT / ".cache" / "network"


def _state_file() -> Path:
    return state_dir() / "state.json"


def _alive(pgid: int) -> bool:
    return bool(group_members([pgid]))


def ports_from(base: int | None) -> dict[str, int]:
    """The fixed ports, or ``base`` .. ``base + 5`` in ``SERVICE_PORTS`` order."""
    if base is None:
        return dict(ReferenceNetwork.DEFAULT_PORTS)
    names = ReferenceNetwork.SERVICE_PORTS
    return {name: base + i for i, name in enumerate(names)}


def free_base(start: int = 3000, stop: int = 60000, step: int = 10) -> int | None:
    """The first base port from ``start`` whose six ports are all free on 127.0.0.1."""
    count = len(ReferenceNetwork.SERVICE_PORTS)
    for base in range(start, stop, step):
        if all(port_is_free(base + i) for i in range(count)):
            return base
    return None


def other_ports_hint() -> str:
    base = free_base()
    example = base if base is not None else 3000
    return (
        f"to run on other ports: make network-up {PORT_BASE_VARIABLE}={example} "
        f"(PLC, PDS, AppView, ozone, PostgreSQL, Redis on {example}..{example + 5})"
    )


def _write_private(path: Path, text: str) -> None:
    # owner-only from the first byte: it holds a password or secrets
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(text)


def _create_demo_account(network: ReferenceNetwork) -> dict[str, str]:
    """``alice.test`` with a random password kept in a private file beside the state."""
    info = network.info
    handle = f"{DEMO_NAME}{info.handle_domain}"
    password = secrets.token_urlsafe(16)
    created = call(
        info.pds,
        "com.atproto.server.createAccount",
        body={"handle": handle, "email": f"{DEMO_NAME}@mail.test", "password": password},
    )
    did = str(created["did"])
    network.wait_until_indexed(did)
    password_file = state_dir() / f"{DEMO_NAME}.password"
    password_file.parent.mkdir(parents=True, exist_ok=True)
    _write_private(password_file, password + "\n")
    return {"handle": handle, "did": did, "passwordFile": str(password_file)}


def _relative(path: str) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to copy)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def instructions(ready: Mapping[str, Any], account: Mapping[str, str]) -> list[str]:
    """The getting-started commands, exactly as a shell in the repository folder runs them."""
    pds, handle = str(ready["pds"]), account["handle"]
    appview = f"{ready['appviewDid']}#bsky_appview"
    password_file = shlex.quote(_relative(account["passwordFile"]))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record = {
        "repo": handle,
        "collection": "app.bsky.feed.post",
        "record": {"$type": "app.bsky.feed.post", "text": "hello from atlex", "createdAt": now},
    }
    return [
        "source .venv/bin/activate",
        f"export ATLEX_SERVICE={pds} ATLEX_HANDLE={handle} ATLEX_APPVIEW={shlex.quote(appview)}",
        f'export ATLEX_PASSWORD="$(cat {password_file})"',
        f"atlex login {handle} --service {pds}",
        f"atlex call com.atproto.repo.createRecord --input {shlex.quote(json.dumps(record))}",
        # served by the PDS itself: shows the post at once (the AppView indexes it a moment later)
        "atlex call com.atproto.repo.listRecords repo=$ATLEX_HANDLE collection=app.bsky.feed.post",
    ]


def _print_ready(saved: Mapping[str, Any], *, again: bool = False) -> None:
    ready: Mapping[str, Any] = saved["ready"]
    account: Mapping[str, str] = saved["account"]
    if not again:
        seconds = int(ready["startupMs"]) / 1000
        print(f"local AT Protocol network up in {seconds:.1f} s (logs: {saved['runDir']})")
    print(
        f"  PDS      {ready['pds']}   (service DID {ready['pdsDid']}; "
        f"handles end in {ready['handleDomain']})"
    )
    print(
        f"  AppView  {ready['appview']}   (proxy {ready['appviewDid']}#bsky_appview; the PDS "
        "forwards app.bsky.* there by itself, no proxy needed)"
    )
    print(f"  PLC      {ready['plc']}")
    print(
        f"  account  {account['handle']} ({account['did']}), password in "
        f"{_relative(account['passwordFile'])}"
    )
    print(f"  admin password and JWT secret: in {_relative(str(_state_file()))}")
    print()
    print(
        "Try it from this folder (a local PDS takes the account password; on Bluesky use an "
        "app password):"
    )
    for line in instructions(ready, account):
        print(f"  {line}")
    print("The README's Python examples read the same ATLEX_* variables.")
    print("Stop the network with `make network-down`.")


def cmd_up(base_port: int | None) -> int:
    state = _state_file()
    if state.exists():
        saved = json.loads(state.read_text())
        if any(_alive(pgid) for pgid in saved["pgids"]):
            # not a failure: what the user wanted (a running network) is there
            print(f"the network is already running (see {_relative(str(state))}):")
            if "account" in saved:
                _print_ready(saved, again=True)
            else:
                print("stop it with `make network-down`")
            return 0
        state.unlink()
    network = ReferenceNetwork(ports=ports_from(base_port), attached=False, keep_logs=True)
    try:
        network.start()
        account = _create_demo_account(network)
    except PortInUseError as exc:
        network.stop()
        print(f"network-up failed: {exc}\n{other_ports_hint()}", file=sys.stderr)
        return 1
    except (NetworkError, OSError) as exc:
        network.stop()
        print(f"network-up failed: {exc}", file=sys.stderr)
        return 1
    saved = {
        "pgids": [s.pid for s in network.services],
        "runDir": str(network.run_dir),
        "ports": network.ports,
        "ready": dict(network.info.raw),
        "account": account,
    }
    state.parent.mkdir(parents=True, exist_ok=True)
    _write_private(state, json.dumps(saved, indent=2))
    _print_ready(saved)
    return 0


def cmd_down() -> int:
    state = _state_file()
    if not state.exists():
        print("the network is not running (no state file)")
        return 0
    saved = json.loads(state.read_text())
    for pgid in reversed(saved["pgids"]):
        stop_group(int(pgid), signal.SIGTERM, grace=20)
    left = group_members(int(pgid) for pgid in saved["pgids"])
    state.unlink()
    (state_dir() / f"{DEMO_NAME}.password").unlink(missing_ok=True)
    shutil.rmtree(saved["runDir"], ignore_errors=True)
    if left:
        print(f"processes still alive after SIGKILL: {left}", file=sys.stderr)
        return 1
    print("local AT Protocol network stopped")
    return 0


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="refnet_cli.py")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the network in the background")
    up.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="use ports N..N+5 (PLC, PDS, AppView, ozone, PostgreSQL, Redis) instead of the "
        "fixed ones",
    )
    sub.add_parser("down", help="stop it")
    args = parser.parse_args(argv)
    if args.command == "up" and args.base_port is not None and not 1024 <= args.base_port <= 65530:
        parser.error("--base-port must be between 1024 and 65530")
    return args


def _main(argv: Sequence[str]) -> int:
    args = _parse(argv)
    if args.command == "up":
        return cmd_up(args.base_port)
    return cmd_down()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
