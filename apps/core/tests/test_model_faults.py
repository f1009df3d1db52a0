"""The registry refuses a weights file of another network at load, and retries a file put right at once."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from apps.core import ml


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(ml, "_REGISTRY", {})
    monkeypatch.setattr(ml, "_LOADED", {})
    monkeypatch.setattr(ml, "_FAILED", {})


@dataclass
class FakeNetwork:
    input_shape: object
    output_shape: object


def spec_loading(network: FakeNetwork, **shapes) -> ml.ModelSpec:
    return ml.ModelSpec(name="net", app="test", description="x", loader=lambda spec: network, package="numpy",
                        training_command="python train.py", **shapes)  # fmt: skip


CLASSIFIER = {"input_shape": (None, ml.FIXED, ml.FIXED, 3), "output_shape": (None, 2)}


@pytest.mark.parametrize(
    "network",
    [
        pytest.param(FakeNetwork((None, 128, 128, 3), (None, 2)), id="the-classifier"),
        pytest.param(FakeNetwork((None, 64, 64, 3), (None, 2)), id="trained-at-another-size"),
    ],
)
def test_a_network_of_the_expected_shapes_loads(clean_registry, network):
    ml.register(spec_loading(network, **CLASSIFIER))
    assert ml.get_model("net").model is network


@pytest.mark.parametrize(
    "network,problem",
    [
        pytest.param(FakeNetwork((None, None, None, 3), (None, None, None, 3)), "input", id="a-restoration-network"),
        pytest.param(FakeNetwork((None, 128, 128, 3), (None, 3)), "output", id="other-classes"),
        pytest.param(FakeNetwork((None, 48, 48, 1), (None, 2)), "input", id="greyscale"),
        pytest.param(FakeNetwork([(None, 128, 128, 3)] * 2, (None, 2)), "input", id="two-inputs"),
        pytest.param(FakeNetwork(None, None), "input", id="not-keras"),
    ],
)
def test_a_network_of_other_shapes_is_unavailable_and_says_why(clean_registry, network, problem):
    ml.register(spec_loading(network, **CLASSIFIER))
    with pytest.raises(ml.ModelUnavailable, match=rf"'net' .* not the network this site expects: its {problem} sha"):
        ml.get_model("net")
    with pytest.raises(ml.ModelUnavailable, match="python train.py"):
        ml.get_model("net")  # remembered, with how to train the right one
    assert not ml.is_loaded("net")


def test_a_spec_without_shapes_takes_any_network(clean_registry):
    ml.register(spec_loading(FakeNetwork(None, None)))
    assert ml.get_model("net")


def test_a_file_put_right_within_the_same_clock_tick_is_tried_again(clean_registry, tmp_path):
    weights = tmp_path / "net.keras"
    weights.write_bytes(b"garbage")
    attempts: list[bytes] = []

    def loader(spec):
        attempts.append(spec.path.read_bytes())
        if spec.path.read_bytes() == b"garbage":
            raise ValueError("not a zip file")
        return "network"

    ml.register(ml.ModelSpec(name="net", app="test", description="x", loader=loader, path=weights))
    with pytest.raises(ml.ModelUnavailable):
        ml.get_model("net")
    stamp = weights.stat()
    weights.write_bytes(b"the real weights")
    os.utime(weights, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # a coarse clock, or cp -p: the same time
    assert ml.get_model("net").model == "network"
    assert attempts == [b"garbage", b"the real weights"]
