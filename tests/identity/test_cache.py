"""The resolver's cache: TTLs for hits and misses, stale-while-revalidate, purge."""

from __future__ import annotations

import pytest
from dns_test_server import TxtServer
from identity_support import ALICE_DID, K256_KEY, P256_KEY, PLC, MakeTwin, World, did_doc

from atlex.errors import DidNotFoundError, HandleNotFoundError, IdentityUnreachableError
from atlex.identity import CacheEntry, IdentityCache, MemoryCache, NullCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


OPTIONS = {"ttl": 100.0, "miss_ttl": 10.0, "stale_while_revalidate": 1000.0}


def test_hits_are_served_from_the_cache(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    clock = Clock()
    resolver = twin(clock, **OPTIONS)
    first = resolver.resolve("alice.example.com")
    clock.now += 99
    assert resolver.resolve("alice.example.com") == first
    assert resolver.resolve(ALICE_DID) == first
    assert len(world.requests) == 1 and len(dns.queries) == 1


def test_misses_are_remembered_for_miss_ttl(twin: MakeTwin, world: World) -> None:
    clock = Clock()
    resolver = twin(clock, **OPTIONS)
    world.pages[f"{PLC}/{ALICE_DID}"] = (404, "application/json", b"{}")
    with pytest.raises(DidNotFoundError):
        resolver.resolve_did(ALICE_DID)
    world.document(ALICE_DID, did_doc(ALICE_DID))
    clock.now += 9
    with pytest.raises(DidNotFoundError, match="cached") as caught:
        resolver.resolve_did(ALICE_DID)
    assert caught.value.identifier == ALICE_DID
    clock.now += 2
    assert resolver.resolve_did(ALICE_DID).id == ALICE_DID
    assert len(world.requests) == 2


def test_handle_misses_name_the_handle(twin: MakeTwin) -> None:
    resolver = twin(Clock(), **OPTIONS)
    for _ in range(2):
        with pytest.raises(HandleNotFoundError) as caught:
            resolver.resolve_handle("nobody.example.com")
        assert caught.value.identifier == "nobody.example.com"


def test_unreachable_is_not_cached(twin: MakeTwin, world: World) -> None:
    resolver = twin(Clock(), **OPTIONS)
    world.pages[f"{PLC}/{ALICE_DID}"] = (502, "text/plain", b"")
    with pytest.raises(IdentityUnreachableError):
        resolver.resolve_did(ALICE_DID)
    world.document(ALICE_DID, did_doc(ALICE_DID))
    assert resolver.resolve_did(ALICE_DID).id == ALICE_DID


def test_stale_while_revalidate(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID, key=K256_KEY))
    clock = Clock()
    resolver = twin(clock, **OPTIONS)
    assert resolver.resolve_signing_key(ALICE_DID).curve == "k256"
    world.document(ALICE_DID, did_doc(ALICE_DID, key=P256_KEY))  # the key rotates
    clock.now += 150  # stale, within the revalidation window
    assert resolver.resolve_signing_key(ALICE_DID).curve == "k256"  # served stale at once
    resolver.settle()
    assert len(world.requests) == 2  # ... and refreshed in the background
    assert resolver.resolve_signing_key(ALICE_DID).curve == "p256"
    clock.now += 2000  # past the window: refreshed before answering
    world.document(ALICE_DID, did_doc(ALICE_DID, key=K256_KEY))
    assert resolver.resolve_signing_key(ALICE_DID).curve == "k256"
    assert len(world.requests) == 3


def test_failed_revalidation_keeps_the_stale_entry(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID))
    clock = Clock()
    resolver = twin(clock, **OPTIONS)
    resolver.resolve_did(ALICE_DID)
    world.pages[f"{PLC}/{ALICE_DID}"] = (500, "text/plain", b"")
    clock.now += 150
    assert resolver.resolve_did(ALICE_DID).id == ALICE_DID
    resolver.settle()
    assert resolver.resolve_did(ALICE_DID).id == ALICE_DID


def test_purge_forgets_the_did_and_its_handle(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com", key=K256_KEY))
    resolver = twin(Clock(), **OPTIONS)
    assert resolver.resolve("alice.example.com").signing_key.curve == "k256"
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com", key=P256_KEY))
    assert resolver.resolve("alice.example.com").signing_key.curve == "k256"
    resolver.purge(ALICE_DID)
    assert resolver.resolve("alice.example.com").signing_key.curve == "p256"
    assert len(dns.queries) == 2  # the handle was forgotten with its DID


def test_purge_by_handle(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    resolver = twin(Clock(), **OPTIONS)
    resolver.resolve("alice.example.com")
    resolver.purge("Alice.Example.com")
    resolver.resolve("alice.example.com")
    assert len(dns.queries) == 2 and len(world.requests) == 2


def test_fresh_bypasses_the_cache(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID))
    resolver = twin(Clock(), **OPTIONS)
    resolver.resolve_did(ALICE_DID)
    resolver.resolve_did(ALICE_DID, fresh=True)
    assert len(world.requests) == 2


def test_memory_cache_is_bounded_lru() -> None:
    cache = MemoryCache(max_entries=2)
    assert isinstance(cache, IdentityCache)
    for key in "abc":
        cache.set(key, CacheEntry(key, 0.0))
        cache.get("a")  # "a" stays recently used
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 2
    cache.delete("a")
    assert cache.get("a") is None
    with pytest.raises(ValueError):
        MemoryCache(0)


def test_null_cache_keeps_nothing() -> None:
    cache = NullCache()
    assert isinstance(cache, IdentityCache)
    cache.set("k", CacheEntry("v", 0.0))
    assert cache.get("k") is None
