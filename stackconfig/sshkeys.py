"""SSH public keys as AWS Transfer Family accepts them, checked as keys rather than by shape.

A line `<type> <base64 blob> [comment]` is accepted when:
- `<type>` is one Transfer Family accepts: ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256/384/521;
- the blob is canonical base64 and decodes;
- the blob's own first field (the SSH wire-format type string) equals `<type>`;
- the key material is complete and sized for its type (ed25519: a 32-byte point; RSA: a modulus
  of at least 2048 bits; ECDSA: the declared curve and an uncompressed point of that curve's size)
  and nothing trails it;
- the `cryptography` package can load it (so the point is on its curve, the RSA numbers are sane);
- the whole line fits Transfer Family's 2048-character `SshPublicKeyBody`.

`check_public_key` returns the normalised line or raises ValueError with one line saying what is
wrong and what is allowed.
"""

from __future__ import annotations

import base64
import binascii
import struct

ALLOWED_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
MIN_RSA_BITS = 2048
# Transfer Family: SshPublicKeyBody is at most 2048 characters.
MAX_LINE = 2048
# Uncompressed EC point sizes: 0x04 || X || Y.
_EC_POINT_BYTES = {"nistp256": 65, "nistp384": 97, "nistp521": 133}
ALLOWED_TEXT = "an OpenSSH public key line '<type> <base64> [comment]' with type " + ", ".join(ALLOWED_TYPES)


def _fields(blob: bytes) -> list[bytes]:
    """The wire format's length-prefixed fields (RFC 4253 section 6.6)."""
    out, pos = [], 0
    while pos < len(blob):
        if pos + 4 > len(blob):
            raise ValueError("the key blob is truncated (a length prefix is cut off)")
        (size,) = struct.unpack(">I", blob[pos:pos + 4])
        pos += 4
        if pos + size > len(blob):
            raise ValueError("the key blob is truncated (a field is shorter than its length says)")
        out.append(blob[pos:pos + size])
        pos += size
    return out


def _check_material(kind: str, fields: list[bytes]) -> None:
    if kind == "ssh-ed25519":
        if len(fields) != 2 or len(fields[1]) != 32:
            raise ValueError("an ssh-ed25519 key holds exactly one 32-byte public point")
    elif kind == "ssh-rsa":
        if len(fields) != 3:
            raise ValueError("an ssh-rsa key holds exactly an exponent and a modulus")
        bits = int.from_bytes(fields[2], "big").bit_length()
        if bits < MIN_RSA_BITS:
            raise ValueError(f"the RSA modulus has {bits} bits; use at least {MIN_RSA_BITS} "
                             "(or an ssh-ed25519 key)")
    else:
        curve = kind.rsplit("-", 1)[1]
        if len(fields) != 3:
            raise ValueError(f"an {kind} key holds exactly a curve name and a point")
        if fields[1].decode("ascii", "replace") != curve:
            raise ValueError(f"the key blob names curve '{fields[1].decode('ascii', 'replace')}' but the type says {curve}")
        want = _EC_POINT_BYTES[curve]
        if len(fields[2]) != want or fields[2][:1] != b"\x04":
            raise ValueError(f"an {kind} key holds an uncompressed {want}-byte point")


def _load_with_cryptography(line: str) -> None:
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:  # pragma: no cover - cryptography ships with boto3's stack here
        return
    try:
        serialization.load_ssh_public_key(line.encode())
    except (ValueError, TypeError) as exc:  # UnsupportedAlgorithm is a plain Exception subclass
        raise ValueError(f"the key does not load as a public key ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - cryptography.exceptions.UnsupportedAlgorithm
        raise ValueError(f"the key does not load as a public key ({type(exc).__name__})") from None


def check_public_key(text: str) -> str:
    """Validate one OpenSSH public key line; return it with surrounding whitespace removed."""
    if not isinstance(text, str):
        raise ValueError(f"must be {ALLOWED_TEXT}")
    line = text.strip()
    if "\n" in line or "\r" in line:
        raise ValueError("must be one key on one line (one user holds one key here)")
    if len(line) > MAX_LINE:
        raise ValueError(f"is {len(line)} characters; Transfer Family accepts at most {MAX_LINE}")
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise ValueError(f"must be {ALLOWED_TEXT}")
    kind, data = parts[0], parts[1]
    if kind not in ALLOWED_TYPES:
        raise ValueError(f"key type '{kind[:40]}' is not accepted by Transfer Family; allowed: {', '.join(ALLOWED_TYPES)}")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {kind} key's base64 does not decode (copy the whole line of the .pub file)") from None
    if base64.b64encode(blob).decode() != data:
        raise ValueError(f"the {kind} key's base64 is not canonical (padding or trailing bits); copy the .pub line again")
    fields = _fields(blob)
    embedded = fields[0].decode("ascii", "replace") if fields else ""
    if embedded != kind:
        raise ValueError(f"the key blob says it is '{embedded[:40]}' but the line declares {kind}")
    _check_material(kind, fields)
    _load_with_cryptography(line)
    return line
