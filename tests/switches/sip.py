"""A small SIP user agent over UDP for the switch tests (RFC 3261, only what they need).

``Caller`` stands for a carrier: it sends an INVITE with everything a proxy checks (Via with a
branch and rport, From tag, To, Call-ID, CSeq, Contact, Max-Forwards, Content-Length and a
small SDP offer), retransmits it until a response comes (timer A), returns the final response,
and ACKs it (a negative one hop by hop, a 2xx end to end along the Record-Route). It can also
hang up (BYE) and send OPTIONS.

``Callee`` stands for the destination behind the switch: a thread that keeps every request it
receives and answers each new INVITE as told (a final status, or ringing only), a CANCEL with
200 and 487, a BYE with 200.
"""

import queue
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

T1 = 0.5  # RFC 3261 timer T1: first retransmission after 0.5 s, then doubling
CRLF = "\r\n"
_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
            "c": "content-type"}
SDP = CRLF.join([
    "v=0", "o=carrier 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
    "m=audio 40000 RTP/AVP 0 8", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "",
])


@dataclass
class Message:
    first_line: str
    headers: list[tuple[str, str]]
    body: str = ""
    source: tuple[str, int] | None = None

    @property
    def is_response(self) -> bool:
        return self.first_line.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.first_line.split(" ", 2)[1])

    @property
    def reason(self) -> str:
        return self.first_line.split(" ", 2)[2]

    @property
    def method(self) -> str:
        return self.first_line.split(" ", 1)[0] if not self.is_response else self.header("cseq").split()[1]

    @property
    def uri(self) -> str:
        return self.first_line.split(" ")[1]

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if _COMPACT.get(key.lower(), key.lower()) == name]

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    @property
    def branch(self) -> str:
        return _param(self.header("via"), "branch")

    @property
    def transaction(self) -> tuple[str, str]:
        """(branch of the top Via, CSeq method): what a response and its request share."""
        return self.branch, self.method

    def __str__(self) -> str:
        return CRLF.join([self.first_line, *(f"{k}: {v}" for k, v in self.headers), "", self.body])


def _param(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == name:
            return value
    return None


def _uri_of(name_addr: str) -> str:
    """'"Bob" <sip:bob@host>;tag=1' -> 'sip:bob@host'."""
    if "<" in name_addr:
        return name_addr[name_addr.index("<") + 1:name_addr.index(">")]
    return name_addr.split(";", 1)[0].strip()


def parse(data: bytes, source=None) -> Message:
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition(CRLF + CRLF)
    lines = head.split(CRLF)
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded header line
            key, value = headers.pop()
            headers.append((key, f"{value} {line.strip()}"))
            continue
        key, _, value = line.partition(":")
        for item in _split_commas(key.strip(), value.strip()):
            headers.append((key.strip(), item))
    return Message(lines[0], headers, body, source)


def _split_commas(key: str, value: str) -> list[str]:
    """Via and Record-Route may hold several values in one header line."""
    if _COMPACT.get(key.lower(), key.lower()) not in {"via", "record-route", "route"}:
        return [value]
    parts, depth, start = [], 0, 0
    for i, char in enumerate(value):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return parts


def _build(first_line: str, headers: list[tuple[str, str]], body: str = "") -> bytes:
    lines = [first_line, *(f"{k}: {v}" for k, v in headers), f"Content-Length: {len(body.encode())}", "", body]
    return CRLF.join(lines).encode()


def _tag() -> str:
    return secrets.token_hex(4)


class _Endpoint:
    def __init__(self, host: str = "127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()

    def close(self):
        self.sock.close()


@dataclass
class Call:
    """One INVITE transaction and, once answered, its dialog."""

    ruri: str
    call_id: str
    from_tag: str
    branch: str
    invite: bytes
    responses: list[Message] = field(default_factory=list)

    @property
    def final(self) -> Message | None:
        finals = [r for r in self.responses if r.status >= 200 and r.method == "INVITE"]
        return finals[0] if finals else None

    @property
    def provisional(self) -> list[int]:
        return [r.status for r in self.responses if r.status < 200 and r.method == "INVITE"]

    @property
    def cancel_answer(self) -> Message | None:
        answers = [r for r in self.responses if r.method == "CANCEL" and r.status >= 200]
        return answers[0] if answers else None


class Caller(_Endpoint):
    """The carrier's side: sends requests to ``proxy`` and reads the responses."""

    def __init__(self, proxy: tuple[str, int], host: str = "127.0.0.1", caller_id: str = "+12025550123"):
        super().__init__(host)
        self.proxy = proxy
        self.caller_id = caller_id
        self.cseq = 0

    def _via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.host}:{self.port};branch={branch};rport"

    def _receive(self, until: float) -> Message | None:
        self.sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            data, source = self.sock.recvfrom(65535)
        except (TimeoutError, socket.timeout):
            return None
        return parse(data, source)

    def invite(self, number: str, *, timeout: float = 10.0, cancel_on: int | None = None) -> Call:
        """INVITE sip:<number>@proxy; returns the call with its responses (final one ACKed).
        ``cancel_on``: send a CANCEL as soon as this provisional status arrives (100: while
        the switch is still asking, 180: while it rings)."""
        ruri = f"sip:{number}@{self.proxy[0]}:{self.proxy[1]}"
        self.cseq += 1
        call = Call(ruri, f"{secrets.token_hex(8)}@{self.host}", _tag(), f"z9hG4bK{secrets.token_hex(8)}", b"")
        call.invite = _build(f"INVITE {ruri} SIP/2.0", [
            ("Via", self._via(call.branch)),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.caller_id}@{self.host}>;tag={call.from_tag}"),
            ("To", f"<{ruri}>"),
            ("Call-ID", call.call_id),
            ("CSeq", f"{self.cseq} INVITE"),
            ("Contact", f"<sip:carrier@{self.host}:{self.port}>"),
            ("User-Agent", "did-portal-tests"),
            ("Content-Type", "application/sdp"),
        ], SDP)
        cancel = None
        if cancel_on is not None:
            cancel = (cancel_on, self._cancel_request(call))
        self._transact(call.invite, call.branch, "INVITE", call.responses, timeout, cancel=cancel)
        final = call.final
        if final is not None:
            if final.status >= 300:
                self._ack_negative(call, final)
            elif 200 <= final.status < 300:
                self.ack(call)
        return call

    def _transact(self, request: bytes, branch: str, method: str, into: list[Message], timeout: float,
                  interval: float = T1, cancel: tuple[int, bytes] | None = None) -> None:
        """Send ``request``, retransmitting it until a response (INVITE) or a final response
        (others); collect the responses of its transaction until the final one. ``cancel``:
        (provisional status, CANCEL request) to send when that status arrives; the CANCEL's
        own answer is then awaited too."""
        deadline = time.monotonic() + timeout
        resend_at = time.monotonic() + interval
        self.sock.sendto(request, self.proxy)
        provisional = cancelled = False

        def done() -> bool:
            final = any(m.method == method and m.status >= 200 for m in into)
            return final and (not cancelled or any(m.method == "CANCEL" and m.status >= 200 for m in into))

        while time.monotonic() < deadline and not done():
            message = self._receive(min(deadline, resend_at))
            if message is not None and message.is_response and message.transaction in {(branch, method),
                                                                                           (branch, "CANCEL")}:
                into.append(message)
                provisional = provisional or method == "INVITE"  # an INVITE is not resent once answered
                if cancel is not None and message.method == method and message.status == cancel[0]:
                    self.sock.sendto(cancel[1], self.proxy)  # no retransmission: loopback loses nothing
                    cancel, cancelled = None, True
            if time.monotonic() >= resend_at:
                if not provisional:
                    self.sock.sendto(request, self.proxy)
                interval = min(interval * 2, 4.0)
                resend_at = time.monotonic() + interval
        if not done():
            raise AssertionError(f"no final response to {method}{' and its CANCEL' if cancelled else ''} within "
                                 f"{timeout} s; got {[m.first_line for m in into] or 'nothing'}")

    def _cancel_request(self, call: Call) -> bytes:
        """The CANCEL of the INVITE: same branch, R-URI, From, To, Call-ID and CSeq number."""
        return _build(f"CANCEL {call.ruri} SIP/2.0", [
            ("Via", self._via(call.branch)),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.caller_id}@{self.host}>;tag={call.from_tag}"),
            ("To", f"<{call.ruri}>"),
            ("Call-ID", call.call_id),
            ("CSeq", f"{self.cseq} CANCEL"),
        ])

    def _ack_negative(self, call: Call, final: Message) -> None:
        """The ACK of a 3xx-6xx belongs to the INVITE's transaction: same branch, same R-URI."""
        self.sock.sendto(_build(f"ACK {call.ruri} SIP/2.0", [
            ("Via", self._via(call.branch)),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.caller_id}@{self.host}>;tag={call.from_tag}"),
            ("To", final.header("to")),
            ("Call-ID", call.call_id),
            ("CSeq", f"{final.header('cseq').split()[0]} ACK"),
        ]), self.proxy)

    def _in_dialog(self, call: Call, method: str, cseq: int) -> tuple[bytes, str]:
        """A request within the dialog a 2xx made: to its Contact, along its Record-Route."""
        answer = call.final
        branch = f"z9hG4bK{secrets.token_hex(8)}"
        headers = [("Via", self._via(branch)), ("Max-Forwards", "70")]
        headers += [("Route", route) for route in reversed(answer.all("record-route"))]
        headers += [
            ("From", f"<sip:{self.caller_id}@{self.host}>;tag={call.from_tag}"),
            ("To", answer.header("to")),
            ("Call-ID", call.call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        return _build(f"{method} {_uri_of(answer.header('contact'))} SIP/2.0", headers), branch

    def ack(self, call: Call) -> None:
        request, _ = self._in_dialog(call, "ACK", int(call.final.header("cseq").split()[0]))
        self.sock.sendto(request, self.proxy)

    def bye(self, call: Call, *, timeout: float = 5.0) -> Message:
        self.cseq += 1
        request, branch = self._in_dialog(call, "BYE", self.cseq)
        responses: list[Message] = []
        self._transact(request, branch, "BYE", responses, timeout)
        return responses[-1]

    def options(self, *, timeout: float = 5.0, interval: float = T1) -> Message:
        self.cseq += 1
        branch = f"z9hG4bK{secrets.token_hex(8)}"
        target = f"sip:{self.proxy[0]}:{self.proxy[1]}"
        request = _build(f"OPTIONS {target} SIP/2.0", [
            ("Via", self._via(branch)),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.caller_id}@{self.host}>;tag={_tag()}"),
            ("To", f"<{target}>"),
            ("Call-ID", f"{secrets.token_hex(8)}@{self.host}"),
            ("CSeq", f"{self.cseq} OPTIONS"),
        ])
        responses: list[Message] = []
        self._transact(request, branch, "OPTIONS", responses, timeout, interval)
        return responses[-1]


class Callee(_Endpoint):
    """The destination: answers each new INVITE with ``answer`` (a status such as 486 or 200,
    or "ring": 180 and no final answer until a CANCEL). Keeps every request in ``requests``."""

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__(host)
        self.answer: int | str = 486
        self.requests: queue.Queue[Message] = queue.Queue()
        self._sent: dict[tuple[str, str], bytes] = {}  # last response per transaction, for retransmissions
        self._invites: dict[str, Message] = {}  # by branch, to answer a CANCEL with 487
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        super().close()

    def received(self, method: str, *, timeout: float = 3.0) -> Message:
        """The next request of ``method`` received (others before it are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the destination received no {method} within {timeout} s")
            try:
                message = self.requests.get(timeout=remaining)
            except queue.Empty:
                continue
            if message.method == method:
                return message

    def nothing_received(self) -> list[str]:
        """Request lines received and not yet taken by received()."""
        lines = []
        while not self.requests.empty():
            lines.append(self.requests.get_nowait().first_line)
        return lines

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(65535)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            message = parse(data, source)
            if message.is_response:
                continue
            key = message.transaction
            if key in self._sent and message.method != "ACK":  # a retransmission
                self.sock.sendto(self._sent[key], source)
                continue
            self.requests.put(message)
            if message.method == "INVITE":
                self._invites[message.branch] = message
                self._reply(message, 100, "Trying", source)
                if self.answer == "ring":
                    self._reply(message, 180, "Ringing", source)
                else:
                    reasons = {200: "OK", 486: "Busy Here", 603: "Decline"}
                    self._reply(message, int(self.answer), reasons.get(int(self.answer), "Answer"), source)
            elif message.method == "CANCEL":
                self._reply(message, 200, "OK", source)
                invite = self._invites.get(message.branch)
                if invite is not None:
                    self._reply(invite, 487, "Request Terminated", source)
            elif message.method in ("BYE", "OPTIONS"):
                self._reply(message, 200, "OK", source)

    def _reply(self, request: Message, status: int, reason: str, source) -> None:
        to = request.header("to")
        if status > 100 and ";tag=" not in to:
            to = f"{to};tag={self._tag_for(request)}"
        headers = [("Via", via) for via in request.all("via")]
        if status > 100 and request.method == "INVITE":
            headers += [("Record-Route", rr) for rr in request.all("record-route")]
        headers += [("From", request.header("from")), ("To", to), ("Call-ID", request.header("call-id")),
                    ("CSeq", request.header("cseq"))]
        if 200 <= status < 300 and request.method == "INVITE":
            headers.append(("Contact", f"<sip:destination@{self.host}:{self.port}>"))
        data = _build(f"SIP/2.0 {status} {reason}", headers)
        self._sent[request.transaction] = data
        self.sock.sendto(data, source)

    def _tag_for(self, request: Message) -> str:
        # One To tag per call, whatever the response.
        return "d" + request.header("call-id").split("@")[0][:8]
