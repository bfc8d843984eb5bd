"""RS256 keys for signed webhooks, and the JWKS that publishes them.

Canvas's signed deliveries are RS256 JWTs with a ``kid`` header; the public keys are published as a
JWKS listing the previous, current and next keys, rotated monthly. The mock keeps the same three
slots: ``rotate()`` makes the next key current, keeps the old current as previous (the one before it
is forgotten) and generates a new next key.

Key material is NOT seeded: the keys are fresh 2048-bit RSA keys from ``cryptography`` (deriving RSA
keys from the seeded generator is not something the library offers), so signatures differ from run
to run while everything else repeats. A ``kid`` is the key's RFC 7638 thumbprint. Private keys never
leave this module: they are not served, logged or shown in reprs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY_BITS = 2048
ALGORITHM = "RS256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """A key pair and its public JWK; the private half never appears in reprs."""

    kid: str
    jwk: dict
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        members = {"e": public["e"], "kty": "RSA", "n": public["n"]}
        thumbprint = hashlib.sha256(
            json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
        ).digest()
        kid = _b64url(thumbprint)
        jwk = {
            "kty": "RSA",
            "kid": kid,
            "use": "sig",
            "alg": ALGORITHM,
            "n": members["n"],
            "e": members["e"],
        }
        return cls(kid=kid, jwk=jwk, private=private)


class KeyRing:
    """Previous, current and next signing keys; generated on first use, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._previous: SigningKey | None = None
        self._current: SigningKey | None = None
        self._next: SigningKey | None = None

    def _ready(self) -> SigningKey:
        if self._current is None:
            self._current = SigningKey.generate()
            self._next = SigningKey.generate()
        return self._current

    def kids(self) -> dict[str, str | None]:
        """``{"previous": kid|None, "current": kid, "next": kid}``."""
        with self._lock:
            current = self._ready()
            return {
                "previous": self._previous.kid if self._previous else None,
                "current": current.kid,
                "next": self._next.kid if self._next else None,
            }

    def jwks(self) -> dict:
        """The public JWKS: previous (after a rotation), current and next keys, in that order."""
        with self._lock:
            self._ready()
            keys = [k for k in (self._previous, self._current, self._next) if k is not None]
            return {"keys": [dict(k.jwk) for k in keys]}

    def rotate(self) -> dict[str, str | None]:
        """Next becomes current, current becomes previous; a new next key is made."""
        fresh = SigningKey.generate()  # outside the lock: generation takes tens of milliseconds
        with self._lock:
            self._ready()
            self._previous, self._current, self._next = self._current, self._next, fresh
        return self.kids()

    def sign(self, claims: dict) -> str:
        """An RS256 JWT of ``claims`` with the current key's ``kid`` in its header."""
        with self._lock:
            key = self._ready()
        return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})
