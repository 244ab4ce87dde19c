"""Pairing: a per-device key from a code shown on the pump, never sent over the radio (SEC-1).

Theory of operation
-------------------
Pairing starts on the pump, by the user, in a menu (physical presence): the
pump opens a ``PairingSession`` for a few minutes and shows

* a *pairing code* of 128 random bits (26 base32 characters in groups of
  four, or the same as a QR code), and
* its pump id; it also broadcasts a fresh 16-byte *pump nonce*.

The user types or scans the code into the phone (or the controller's
set-up).  The device picks its own fresh 16-byte nonce and derives the key
with HKDF-SHA256 (RFC 5869, standard library ``hmac``)::

    key = HKDF(ikm = code, salt = pump nonce || device nonce,
               info = "pumpkernel channel v1" || pump id || device id, 32 bytes)

and sends a ``PairRequest``: its device id, its nonce and a *confirmation*,
HMAC(key, "device confirms" || transcript).  The pump derives the same key,
checks the confirmation in constant time (a wrong code fails here), stores
the pairing (``Channel.pair``: key, allowed sources, last sequence number 0)
and answers with its own confirmation, HMAC(key, "pump confirms" ||
transcript), which tells the device that it paired with the pump whose code
it typed.  The session then closes: a code is good for one pairing, and at
most ``max_attempts`` wrong confirmations or ``lifetime_ticks`` after opening.

What the user chooses on the pump, not the device: which sources this device
may speak as (``REMOTE`` for a phone's manual commands, ``CONTROLLER`` for a
closed loop, or both).

What this protects against, and what it does not: see ``docs/channel.md``.
In short, an eavesdropper on the radio sees both nonces and both
confirmations, but not the code; with 128 bits of code an offline search is
out of reach, so the key stays secret.  A fresh pump nonce per session makes
every key new, so messages recorded under an earlier pairing never verify
again.  An attacker who can read the pump's screen during pairing, or who
owns the phone, owns the pairing: that is outside the radio threat model.

Units: ``_ticks`` (pump minutes).  Requirements served: SEC-1 (the key the MAC
needs).  No dosing decision lives here.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from adapters.channel import ID_BYTES, KEY_BYTES, MAC_BYTES, Peer
from kernel.events import Source

CODE_BYTES = 16
"""128 random bits in the pairing code."""
NONCE_BYTES = 16
INFO = b"pumpkernel channel v1"
PAIR_MAGIC = b"PP"
PAIR_VERSION = 1
PAIR_REQUEST = struct.Struct(">2sB8s8s16s")
"""magic, version, pump id, device id, device nonce (then the 32-byte confirmation)."""
PAIR_REQUEST_BYTES = PAIR_REQUEST.size + MAC_BYTES

RandomBytes = Callable[[int], bytes]


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF with SHA-256 (RFC 5869): extract then expand."""
    if length > 255 * 32:
        raise ValueError("HKDF-SHA256 output is at most 8160 bytes")
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def format_code(code: bytes) -> str:
    """The code as the pump shows it: base32, groups of four (``ABCD-EFGH-...``)."""
    text = base64.b32encode(code).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_code(text: str) -> bytes | None:
    """The code the user typed (case, spaces and dashes ignored), or ``None`` if it is not a code."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -")
    if len(cleaned) != 26:
        return None
    try:
        code = base64.b32decode(cleaned + "======")
    except ValueError:
        return None
    return code if len(code) == CODE_BYTES and format_code(code).replace("-", "") == cleaned else None


def derive_key(code: bytes, pump_id: bytes, device_id: bytes, pump_nonce: bytes, device_nonce: bytes) -> bytes:
    """The pairing key (see module docstring)."""
    return hkdf_sha256(code, pump_nonce + device_nonce, INFO + pump_id + device_id)


def _transcript(pump_id: bytes, device_id: bytes, pump_nonce: bytes, device_nonce: bytes) -> bytes:
    return pump_id + device_id + pump_nonce + device_nonce


def _confirmation(key: bytes, who: bytes, transcript: bytes) -> bytes:
    return hmac.new(key, who + transcript, hashlib.sha256).digest()


@dataclass(frozen=True)
class DevicePairing:
    """What the device computed: the request to send and the key to keep (device side)."""

    request: bytes
    key: bytes
    transcript: bytes

    def pump_confirmed(self, answer: bytes) -> bool:
        """Whether the pump's answer proves it derived the same key (it knew the code)."""
        expected = _confirmation(self.key, b"pump confirms", self.transcript)
        return hmac.compare_digest(expected, answer)


def device_pair(
    code_text: str, pump_id: bytes, pump_nonce: bytes, device_id: bytes, random_bytes: RandomBytes = os.urandom
) -> DevicePairing | None:
    """The device's half: ``None`` if ``code_text`` is not a well-formed code."""
    code = parse_code(code_text)
    if code is None or len(pump_id) != ID_BYTES or len(device_id) != ID_BYTES or len(pump_nonce) != NONCE_BYTES:
        return None
    device_nonce = random_bytes(NONCE_BYTES)
    key = derive_key(code, pump_id, device_id, pump_nonce, device_nonce)
    transcript = _transcript(pump_id, device_id, pump_nonce, device_nonce)
    body = PAIR_REQUEST.pack(PAIR_MAGIC, PAIR_VERSION, pump_id, device_id, device_nonce)
    return DevicePairing(body + _confirmation(key, b"device confirms", transcript), key, transcript)


class PairingRefusal(enum.Enum):
    """Why the pump refused a pairing request (each also counts toward ``max_attempts`` but CLOSED)."""

    CLOSED = "no pairing session is open (finished, expired or too many attempts)"
    MALFORMED = "the request is not a well-formed pairing request"
    NOT_FOR_THIS_PUMP = "the request names another pump"
    WRONG_CODE = "the confirmation does not match: wrong code, or altered in transit"


@dataclass(frozen=True)
class Paired:
    """A pairing the pump accepted: the peer to store and the answer to send back."""

    peer: Peer
    answer: bytes


class PairingSession:
    """The pump's half of one pairing (see module docstring)."""

    def __init__(
        self,
        pump_id: bytes,
        sources: tuple[int, ...],
        now_tick: int,
        *,
        lifetime_ticks: int = 5,
        max_attempts: int = 3,
        random_bytes: RandomBytes = os.urandom,
    ) -> None:
        if len(pump_id) != ID_BYTES:
            raise ValueError(f"a pump id is {ID_BYTES} bytes")
        if not sources or any(s not in (Source.REMOTE, Source.CONTROLLER) for s in sources):
            raise ValueError("a paired device may speak only as REMOTE and/or CONTROLLER")
        self.pump_id = pump_id
        self.sources = tuple(sorted({int(s) for s in sources}))
        self.code = random_bytes(CODE_BYTES)
        self.pump_nonce = random_bytes(NONCE_BYTES)
        self.expires_tick = now_tick + lifetime_ticks
        self.attempts_left = max_attempts
        self.open = True

    @property
    def display_code(self) -> str:
        """What the pump shows on its own screen (never sent over the radio)."""
        return format_code(self.code)

    def accept(self, request: bytes, now_tick: int) -> Paired | PairingRefusal:
        """Check a ``PairRequest``; on success the session closes and the caller stores ``peer``."""
        if not self.open or now_tick > self.expires_tick or self.attempts_left <= 0:
            self.open = False
            return PairingRefusal.CLOSED
        self.attempts_left -= 1
        if self.attempts_left <= 0:
            self.open = False
        if len(request) != PAIR_REQUEST_BYTES:
            return PairingRefusal.MALFORMED
        magic, version, pump_id, device_id, device_nonce = PAIR_REQUEST.unpack(request[: PAIR_REQUEST.size])
        if magic != PAIR_MAGIC or version != PAIR_VERSION:
            return PairingRefusal.MALFORMED
        if pump_id != self.pump_id:
            return PairingRefusal.NOT_FOR_THIS_PUMP
        key = derive_key(self.code, pump_id, device_id, self.pump_nonce, device_nonce)
        transcript = _transcript(pump_id, device_id, self.pump_nonce, device_nonce)
        expected = _confirmation(key, b"device confirms", transcript)
        if not hmac.compare_digest(expected, request[PAIR_REQUEST.size :]):
            return PairingRefusal.WRONG_CODE
        self.open = False
        peer = Peer(device_id, key, self.sources, 0, (), now_tick)
        return Paired(peer, _confirmation(key, b"pump confirms", transcript))
