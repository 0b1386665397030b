"""Requests must come through this service's load balancer, which logged the caller in.

A public service's ALB authenticates the caller (OIDC or Cognito) and then adds two headers:
``x-amzn-oidc-identity`` (the subject) and ``x-amzn-oidc-data`` (the user claims as a JWT the ALB
signs with ES256). Anyone who reaches the tasks another way can set those headers too, so the
service verifies the JWT before doing anything (ELB user guide, "Authenticate users using an
Application Load Balancer", user claims encoding and signature verification):

- the header's ``alg`` is ES256 and its ``signer`` is exactly this service's ALB ARN;
- the signature verifies with the public key the ALB's region publishes for the header's ``kid``
  at ``https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`` (PEM; fetched once per kid);
- ``exp`` (in the header, and in the claims when present) has not passed;
- ``x-amzn-oidc-identity``, when present, is the claims' ``sub``.

The ALB base64url-encodes the parts WITH padding, which many JWT libraries reject, so parts are
decoded here with padding optional. ``cryptography`` is imported only when a token is checked
(the Lambda variant never is: API Gateway authorizes it).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

DATA_HEADER = "x-amzn-oidc-data"
IDENTITY_HEADER = "x-amzn-oidc-identity"
KEY_URL = "https://public-keys.auth.elb.{region}.amazonaws.com/{kid}"
KEY_FETCH_TIMEOUT_SECONDS = 3
CLOCK_SKEW_SECONDS = 60
MAX_CACHED_KEYS = 32
_KID_RE = re.compile(r"[A-Za-z0-9-]{1,128}")
_ALB_ARN_RE = re.compile(r"arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer/app/[^/]+/[0-9a-f]+")

KeyFetcher = Callable[[str, str], bytes]  # (region, kid) -> PEM public key


class Unauthenticated(Exception):
    """The request did not come through this service's load balancer (or its login expired)."""


@dataclass(frozen=True)
class Caller:
    """Who the ALB logged in: the subject (``sub``) and every claim the IdP returned."""
    subject: str
    claims: Mapping[str, Any] = field(default_factory=dict)


def fetch_public_key(region: str, kid: str) -> bytes:
    """The ALB's public key for ``kid`` from its region's endpoint (HTTPS, short timeout)."""
    with urllib.request.urlopen(KEY_URL.format(region=region, kid=kid),  # noqa: S310 - fixed https URL
                                timeout=KEY_FETCH_TIMEOUT_SECONDS) as response:
        return response.read()


def alb_region(alb_arn: str) -> str:
    m = _ALB_ARN_RE.fullmatch(alb_arn.strip())
    if not m:
        raise ValueError(f"ALB_ARN {alb_arn[:120]!r} is not an application load balancer ARN")
    return m.group(1)


def _b64(part: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise Unauthenticated(f"{DATA_HEADER}: the {what} is not base64url") from None


def _json(part: str, what: str) -> dict:
    try:
        value = json.loads(_b64(part, what))
    except ValueError:
        raise Unauthenticated(f"{DATA_HEADER}: the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise Unauthenticated(f"{DATA_HEADER}: the {what} is not a JSON object")
    return value


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name:
            return v
    return None


class AlbVerifier:
    """Verifies ``x-amzn-oidc-data`` for one load balancer. ``fetch`` and ``clock`` are
    injectable (tests use a local key and no network); keys are cached per kid."""

    def __init__(self, alb_arn: str, *, fetch: KeyFetcher = fetch_public_key,
                 clock: Callable[[], float] = time.time):
        self.alb_arn = alb_arn.strip()
        self.region = alb_region(self.alb_arn)
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _key(self, kid: str) -> Any:
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415 - container-only dependency
        from cryptography.hazmat.primitives.serialization import load_pem_public_key  # noqa: PLC0415

        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
        try:
            key = load_pem_public_key(self._fetch(self.region, kid))
        except Exception as exc:  # noqa: BLE001 - unreachable endpoint, unknown kid, not a PEM key
            raise Unauthenticated(f"{DATA_HEADER}: no public key for kid {kid!r} ({type(exc).__name__})") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise Unauthenticated(f"{DATA_HEADER}: the key for kid {kid!r} is not a P-256 key")
        with self._lock:
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.clear()
            self._keys[kid] = key
        return key

    def verify(self, headers: Mapping[str, str] | None) -> Caller:
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: PLC0415

        token = (_header(headers, DATA_HEADER) or "").strip()
        if not token:
            raise Unauthenticated(f"missing {DATA_HEADER}: requests must come through the service's load balancer")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts):
            raise Unauthenticated(f"{DATA_HEADER} is not a signed JWT (header.claims.signature)")
        head = _json(parts[0], "JWT header")
        if head.get("alg") != "ES256":
            raise Unauthenticated(f"{DATA_HEADER}: alg {head.get('alg')!r} is not ES256")
        # Checked before any key is fetched: a token another load balancer signed is refused.
        if head.get("signer") != self.alb_arn:
            raise Unauthenticated(f"{DATA_HEADER}: signed by {str(head.get('signer'))[:160]!r}, not this service's "
                                  "load balancer")
        kid = head.get("kid")
        if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
            raise Unauthenticated(f"{DATA_HEADER}: kid is missing or malformed")
        signature = _b64(parts[2], "signature")
        if len(signature) != 64:  # JWS ES256: r || s, 32 bytes each
            raise Unauthenticated(f"{DATA_HEADER}: an ES256 signature is 64 bytes, got {len(signature)}")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            self._key(kid).verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Unauthenticated(f"{DATA_HEADER}: the signature does not verify") from None
        claims = _json(parts[1], "claims")
        now = self._clock()
        # The ALB puts exp in the JWT header; an IdP's exp among the claims is honoured too.
        expiries = {where: exp for where, exp in (("header", head.get("exp")), ("claims", claims.get("exp")))
                    if exp is not None}
        if not expiries:
            raise Unauthenticated(f"{DATA_HEADER}: no exp")
        for where, exp in expiries.items():
            if not isinstance(exp, (int, float)) or isinstance(exp, bool):
                raise Unauthenticated(f"{DATA_HEADER}: the {where} exp is not a number")
            if now > exp + CLOCK_SKEW_SECONDS:
                raise Unauthenticated(f"{DATA_HEADER}: expired; log in again")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated(f"{DATA_HEADER}: the claims have no sub")
        identity = _header(headers, IDENTITY_HEADER)
        if identity is not None and identity.strip() != subject:
            raise Unauthenticated(f"{IDENTITY_HEADER} does not match the signed claims' sub")
        return Caller(subject=subject, claims=claims)
