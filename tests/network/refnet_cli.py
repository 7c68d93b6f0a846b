"""`make network-up` / `make network-down`: the local reference network for humans.

    python tests/network/refnet_cli.py up      # start in the background, print the URLs
    python tests/network/refnet_cli.py down    # stop it

``up`` uses fixed ports (PLC 2582, PDS 2583, AppView 2584, ozone 2585, PostgreSQL 5433, Redis
6380) and keeps its state (process groups, run folder, ready line with the admin password) in
``.cache/network/state.json``, readable by its owner only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: find the siblings

from refnet import REPO_ROOT, NetworkError, ReferenceNetwork
from refnet_procs import group_members, stop_group

STATE_DIR = REPO_ROOT / ".cache" / "network"


def _state_file() -> Path:
    return STATE_DIR / "state.json"


def _alive(pgid: int) -> bool:
    return bool(group_members([pgid]))


def cmd_up() -> int:
    state = _state_file()
    if state.exists():
        saved = json.loads(state.read_text())
        if any(_alive(pgid) for pgid in saved["pgids"]):
            print(f"the network is already running (see {state}); `make network-down` stops it")
            return 1
        state.unlink()
    network = ReferenceNetwork(ports=ReferenceNetwork.DEFAULT_PORTS, attached=False, keep_logs=True)
    try:
        info = network.start()
    except NetworkError as exc:
        print(f"network-up failed: {exc}", file=sys.stderr)
        return 1
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    # owner-only from the first byte: it holds the admin password and the JWT secret
    with os.fdopen(os.open(state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(
            json.dumps(
                {
                    "pgids": [s.pid for s in network.services],
                    "runDir": str(network.run_dir),
                    "ready": dict(info.raw),
                },
                indent=2,
            )
        )
    print(
        f"local AT Protocol network up in {info.startup_ms / 1000:.1f} s (logs: {network.run_dir})"
    )
    print(
        f"  PDS      {info.pds}   (service DID {info.pds_did}; handles end in {info.handle_domain})"
    )
    print(f"  AppView  {info.appview}   ({info.appview_did})")
    print(f"  PLC      {info.plc}")
    print(f"  admin password and JWT secret: in {state}")
    print("  stop it with `make network-down`")
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
    shutil.rmtree(saved["runDir"], ignore_errors=True)
    if left:
        print(f"processes still alive after SIGKILL: {left}", file=sys.stderr)
        return 1
    print("local AT Protocol network stopped")
    return 0


def _main(argv: list[str]) -> int:
    commands = {"up": cmd_up, "down": cmd_down}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: refnet_cli.py up|down", file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
