"""Shared fixtures: the repository's example models and small models written here."""

import pathlib

import pytest

import whatif

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

SPRINKLER = """
rain      ~ Bernoulli(0.2)
sprinkler ~ Bernoulli(if rain then 0.01 else 0.4)
wet       := rain or sprinkler
"""

# P(rain | wet) by enumeration: P(rain, wet) = 0.2; P(wet) = 0.2 + 0.8 * 0.4.
P_RAIN_GIVEN_WET = 0.2 / (0.2 + 0.8 * 0.4)


@pytest.fixture
def sprinkler():
    return whatif.Model(SPRINKLER)


@pytest.fixture
def examples():
    return EXAMPLES
