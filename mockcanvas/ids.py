"""Ids, UUIDs and tokens, all drawn from a seeded generator so a seed gives the same world.

Canvas ids are local to a shard; Live Events and some APIs use global ids, which are
``shard_id * 10**13 + local_id``. The mock runs on one shard.
"""

from __future__ import annotations

import random
import string

SHARD_ID = 1
SHARD_FACTOR = 10**13
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def global_id(local_id: int) -> int:
    """The id Canvas uses across shards for a row of this shard."""
    return SHARD_ID * SHARD_FACTOR + local_id


def local_id(any_id: int) -> int | None:
    """A local id from a local or a global id of this shard; None for another shard's id."""
    if any_id < SHARD_FACTOR:
        return any_id
    shard, local = divmod(any_id, SHARD_FACTOR)
    return local if shard == SHARD_ID else None


# uuid.UUID(int=..., version=4) clears these bits and sets the variant and version: done by hand
# (the same string, a third of the time: a grade draws four of these).
_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID_SET = (0x8000 << 48) | (4 << 76)
_LOW_128 = (1 << 128) - 1
# The same for two uuids in one 256-bit draw (the first in the low half): a seed draws a million.
UUID_PAIR_CLEAR = (_LOW_128 & _UUID_CLEAR) | ((_LOW_128 & _UUID_CLEAR) << 128)
UUID_PAIR_SET = _UUID_SET | (_UUID_SET << 128)
LOW_128 = _LOW_128


def seeded_uuid_bits(rng: random.Random) -> int:
    """The 128 bits of ``seeded_uuid``, drawn the same way (a seed keeps a million as bytes)."""
    return (rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET


def seeded_uuid_pair_bits(rng: random.Random) -> tuple[int, int]:
    """Two ``seeded_uuid_bits`` in one draw: 256 bits are the same words as two draws of 128,
    the first in the low half."""
    bits = (rng.getrandbits(256) & UUID_PAIR_CLEAR) | UUID_PAIR_SET
    return bits & _LOW_128, bits >> 128


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID string from the seeded generator (never from ``uuid4()``)."""
    h = f"{(rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def seeded_token(rng: random.Random) -> str:
    """An access token shaped like Canvas's: ``<shard>~<64 letters and digits>``."""
    return f"{SHARD_ID}~" + "".join(rng.choices(_TOKEN_ALPHABET, k=64))


def seeded_hex(rng: random.Random, length: int) -> str:
    return f"{rng.getrandbits(length * 4):0{length}x}"
