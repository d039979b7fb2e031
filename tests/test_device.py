"""dlnotes.device: device choice with CPU fallback, and seeding."""
import numpy as np
import pytest
import torch

import dlnotes
from dlnotes import device as dev


@pytest.fixture
def no_accelerators(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    monkeypatch.delenv("DLNOTES_DEVICE", raising=False)


def test_falls_back_to_cpu_without_gpu(no_accelerators):
    assert dlnotes.get_device() == torch.device("cpu")
    assert dev.available_devices() == ["cpu"]


def test_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("DLNOTES_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(dev, "_mps_available", lambda: True)
    assert dlnotes.get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dlnotes.get_device() == torch.device("mps")


def test_missing_requested_device_lists_available(no_accelerators):
    with pytest.raises(ValueError, match=r"prefer='cuda'.*available: \['cpu'\]"):
        dlnotes.get_device("cuda")


def test_environment_variable(no_accelerators, monkeypatch):
    monkeypatch.setenv("DLNOTES_DEVICE", "cpu")
    assert dlnotes.get_device() == torch.device("cpu")
    monkeypatch.setenv("DLNOTES_DEVICE", "mps")
    with pytest.raises(ValueError, match="DLNOTES_DEVICE"):
        dlnotes.get_device()


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("DLNOTES_DEVICE", "cuda:7")
    assert dlnotes.get_device("cpu") == torch.device("cpu")


def test_bad_device_name():
    with pytest.raises(ValueError, match="not a device name"):
        dlnotes.get_device("banana")


def test_cuda_index_out_of_range(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match="only 1 CUDA device"):
        dlnotes.get_device("cuda:3")


def test_seed_everything_is_reproducible():
    g1 = dlnotes.seed_everything(123)
    a, ta = g1.normal(size=3), torch.randn(3)
    g2 = dlnotes.seed_everything(123)
    b, tb = g2.normal(size=3), torch.randn(3)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(ta, tb)
    assert isinstance(g1, np.random.Generator)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        dlnotes.seed_everything(seed)


def test_lazy_submodules_and_unknown_attribute():
    assert dlnotes.data.load_image.__module__ == "dlnotes.data"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dlnotes.nope
