"""The harness's own pieces, without starting any service."""

from __future__ import annotations

import json
import os
import socket
import struct
import zlib
from pathlib import Path

import pytest
from refnet import (
    READY_MARKER,
    LonePds,
    NetworkError,
    NotInstalledError,
    ReadyInfo,
    ReferenceNetwork,
    Toolchain,
)
from refnet_procs import listening_sockets, port_is_free
from refnet_xrpc import Account, XrpcCallError, solid_png

READY_FIELDS = {
    "mode": "pds",
    "pid": 4242,
    "startupMs": 3100,
    "plc": "http://127.0.0.1:2582",
    "pds": "http://127.0.0.1:2583",
    "pdsPublicUrl": "http://localhost:2583",
    "pdsDid": "did:web:localhost",
    "appview": None,
    "appviewDid": None,
    "adminPassword": "admin-secret-value",
    "jwtSecret": "jwt-secret-value",
    "handleDomain": ".test",
    "accessTtl": "3s",
    "listeners": [{"host": "127.0.0.1", "port": 2583}],
    "refusedOutbound": 0,
}


def test_ready_line_is_parsed_and_secrets_stay_out_of_repr() -> None:
    info = ReadyInfo.parse(READY_MARKER + json.dumps(READY_FIELDS))
    assert info.pds == "http://127.0.0.1:2583"
    assert info.listeners == (("127.0.0.1", 2583),)
    assert info.admin_password == "admin-secret-value"
    assert info.access_ttl_seconds == 3.0
    assert "admin-secret-value" not in repr(info)
    assert "jwt-secret-value" not in repr(info)


def test_access_ttl_in_minutes() -> None:
    info = ReadyInfo.parse(READY_MARKER + json.dumps({**READY_FIELDS, "accessTtl": "120mins"}))
    assert info.access_ttl_seconds == 7200.0


def test_a_ready_line_missing_a_field_is_a_clear_error() -> None:
    fields = {key: value for key, value in READY_FIELDS.items() if key != "pdsDid"}
    with pytest.raises(NetworkError) as caught:
        ReadyInfo.parse(READY_MARKER + json.dumps(fields))
    assert "pdsDid" in str(caught.value)
    assert "same checkout" in str(caught.value)


def test_account_repr_hides_password_and_tokens() -> None:
    account = Account(
        handle="alice123456.test",
        did="did:plc:abc",
        email="alice@mail.test",
        pds="http://127.0.0.1:2583",
        password="hunter2-password",
        access_jwt="access.jwt.value",
        refresh_jwt="refresh.jwt.value",
    )
    text = repr(account)
    assert "alice123456.test" in text
    for secret in ("hunter2-password", "access.jwt.value", "refresh.jwt.value"):
        assert secret not in text


def test_xrpc_error_names_the_call_and_the_error() -> None:
    error = XrpcCallError(
        "GET",
        "http://127.0.0.1:2583/xrpc/com.atproto.server.getSession",
        400,
        {"error": "ExpiredToken", "message": "Token has expired"},
    )
    assert str(error) == (
        "GET http://127.0.0.1:2583/xrpc/com.atproto.server.getSession: "
        "HTTP 400 ExpiredToken: Token has expired"
    )


def test_socket_inspection_sees_a_wildcard_bind() -> None:
    # the loopback-only network test relies on this: a wildcard listener must show up as such
    with socket.socket() as wide, socket.socket() as narrow:
        wide.bind(("0.0.0.0", 0))
        wide.listen()
        narrow.bind(("127.0.0.1", 0))
        narrow.listen()
        expected = {("0.0.0.0", wide.getsockname()[1]), ("127.0.0.1", narrow.getsockname()[1])}
        found = {(sock.host, sock.port) for sock in listening_sockets([os.getpid()])}
    assert expected <= found


def test_socket_inspection_ignores_sockets_that_do_not_listen() -> None:
    with socket.socket() as unbound:
        unbound.bind(("127.0.0.1", 0))  # bound, not listening
        ports = {sock.port for sock in listening_sockets([os.getpid()])}
        assert unbound.getsockname()[1] not in ports


def _fake_install(root: Path, *, node: bool, packages: bool) -> Toolchain:
    toolchain = Toolchain(network_dir=root)
    if node:
        toolchain.node.parent.mkdir(parents=True)
        toolchain.node.write_text("")
    if packages:
        (root / "node_modules" / "@atproto" / "dev-env").mkdir(parents=True)
    return toolchain


@pytest.mark.parametrize(
    ("node", "packages", "expected"),
    [
        (False, False, "Node 22 is not installed"),
        (True, False, "npm packages are not installed"),
        (True, True, "did not finish"),  # no install stamp: npm ci died half-way
    ],
)
def test_missing_install_is_reported_before_anything_starts(
    tmp_path: Path, node: bool, packages: bool, expected: str
) -> None:
    toolchain = _fake_install(tmp_path, node=node, packages=packages)
    for controller in (ReferenceNetwork(toolchain=toolchain), LonePds(toolchain=toolchain)):
        with pytest.raises(NotInstalledError) as caught:
            controller.start()
        assert expected in str(caught.value)
        assert "make network-install" in str(caught.value)
        assert controller.started_pgids == []


def test_solid_png_is_a_well_formed_png() -> None:
    png = solid_png(3, 2, (1, 2, 3))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (3, 2, 8, 2)
    idat_length = struct.unpack(">I", png[33:37])[0]
    pixels = zlib.decompress(png[41 : 41 + idat_length])
    assert pixels == (b"\x00" + bytes([1, 2, 3]) * 3) * 2


def test_a_listening_port_is_taken_but_time_wait_leftovers_are_not() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert not port_is_free(port)
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first: its end lingers in TIME_WAIT
    client.close()
    assert port_is_free(port)  # a restarted server (SO_REUSEADDR) could listen here again


def test_a_persistent_pds_needs_a_lasting_plc_and_restarts_only_after_a_kill() -> None:
    with pytest.raises(ValueError, match="needs plc_url"):
        LonePds(persistent=True)
    with pytest.raises(NetworkError, match="needs a started LonePds"):
        LonePds(plc_url="http://127.0.0.1:9").restart()  # never started, not persistent
    with pytest.raises(NetworkError, match="needs a started LonePds"):
        LonePds(plc_url="http://127.0.0.1:9", persistent=True).restart()  # never started
