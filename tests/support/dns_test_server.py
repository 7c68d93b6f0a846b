"""A tiny authoritative DNS server on 127.0.0.1 for tests: TXT answers from a dict.

``with TxtServer() as dns: dns.records["_lexicon.demo.atlex.test"] = ["did=did:plc:…"]``; point
the resolver at ``dns.address``. Names not in the dict get NXDOMAIN. Each question is counted in
``dns.queries`` so tests can tell whether DNS was consulted at all.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class TxtServer:
    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries: list[str] = []
        self.chunk = 255
        """Longest character-string per chunk (a TXT value longer than that is split)."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"{host}:{port}"

    def __enter__(self) -> TxtServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue  # not DNS: ignore, as a real server would
            self._socket.sendto(self._answer(query).to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= 0x0400  # authoritative
        for question in query.question:
            name = question.name.to_text(omit_final_dot=True).lower()
            self.queries.append(name)
            texts = self.records.get(name)
            if texts is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                continue
            if question.rdtype != dns.rdatatype.TXT:
                continue
            quoted = [
                " ".join(_quote(t[i : i + self.chunk]) for i in range(0, len(t), self.chunk))
                or '""'
                for t in texts
            ]
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, "TXT", quoted)
            )
        return response


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
