"""The shared hash chain: both digests are the standard ones, and every kind of tampering is named."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from hypothesis import given
from hypothesis import strategies as st

from backend.core.chain import (
    GENESIS_HASH,
    ChainEntry,
    canonical_json,
    digest_bytes,
    digest_stream,
    link_hash,
    verify_chain,
)

# GB/T 32905-2016 Appendix A, example 1.
SM3_OF_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def build(contents: list[bytes]) -> list[ChainEntry]:
    entries, previous = [], GENESIS_HASH
    for index, content in enumerate(contents):
        digests = digest_bytes(content)
        entry_hash = link_hash(previous, digests)
        entries.append(ChainEntry(f"#{index}", previous, digests.sha256, digests.sm3, entry_hash, content))
        previous = entry_hash
    return entries


def test_the_digests_are_sha256_and_the_national_sm3() -> None:
    digests = digest_bytes(b"abc")
    assert digests.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert digests.sm3 == SM3_OF_ABC
    assert digests.size == 3
    assert digest_stream(io.BytesIO(b"abc" * 1000), chunk_size=7) == digest_bytes(b"abc" * 1000)


def test_canonical_json_is_the_same_bytes_whatever_the_key_order_and_zone() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    one = canonical_json({"b": 1, "a": dt.datetime(2026, 1, 1, 8, tzinfo=shanghai), "名": "张三"})
    two = canonical_json({"名": "张三", "a": dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC), "b": 1})
    assert one == two
    assert "张三".encode() in one


@given(st.lists(st.binary(max_size=64), min_size=1, max_size=12))
def test_a_whole_chain_verifies(contents: list[bytes]) -> None:
    assert list(verify_chain(build(contents))) == []


@given(st.lists(st.binary(max_size=64), min_size=2, max_size=12), st.data())
def test_every_tampering_is_caught(contents: list[bytes], data: st.DataObject) -> None:
    entries = build(contents)
    victim = data.draw(st.integers(0, len(entries) - 1))
    how = data.draw(st.sampled_from(["content", "row", "remove", "swap"]))
    entry = entries[victim]
    if how == "content":
        entries[victim] = ChainEntry(
            entry.key, entry.previous_hash, entry.sha256, entry.sm3, entry.entry_hash, entry.content + b"!"
        )
    elif how == "row":
        forged = digest_bytes(entry.content + b"!")
        entries[victim] = ChainEntry(
            entry.key, entry.previous_hash, forged.sha256, forged.sm3, entry.entry_hash, entry.content + b"!"
        )
    elif how == "remove":
        if victim == len(entries) - 1:
            victim -= 1  # removing the last entry leaves a whole (shorter) chain: completeness's job
        del entries[victim]
    else:
        other = (victim + 1) % len(entries)
        entries[victim], entries[other] = entries[other], entries[victim]
    breaks = list(verify_chain(entries))
    assert breaks, f"{how} of entry {victim} went unnoticed"
    assert all(str(b).startswith("#") for b in breaks)
