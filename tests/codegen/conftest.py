"""Session fixtures: the fixture lexicon sets, generated once into importable packages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _codegen_support import LEXICONS, GeneratedSet, generated_set


@pytest.fixture(scope="session")
def features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSet]:
    yield from generated_set(
        tmp_path_factory.mktemp("features"), [LEXICONS / "features"], "fx_features"
    )


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSet]:
    yield from generated_set(
        tmp_path_factory.mktemp("hostile"), [LEXICONS / "hostile"], "fx_hostile"
    )


@pytest.fixture(scope="session")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSet]:
    yield from generated_set(tmp_path_factory.mktemp("broken"), [LEXICONS / "broken"], "fx_broken")
