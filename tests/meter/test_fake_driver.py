"""The fake NVML driver itself, through the real pynvml: what it reports for its settings."""

from __future__ import annotations

import pytest


def test_build_makes_the_soname(fake_nvml_dir):
    lib = fake_nvml_dir / "libnvidia-ml.so.1"
    assert lib.is_file() and lib.stat().st_size > 0


def test_constant_power_two_gpus_exact_energy(fake_nvml):
    import pynvml

    clock = fake_nvml.init(gpus=2, power_mw=[250000, 400000], names=["A100-fake", "H100-fake"])
    h0 = pynvml.nvmlDeviceGetHandleByIndex(0)
    h1 = pynvml.nvmlDeviceGetHandleByIndex(1)
    assert pynvml.nvmlDeviceGetCount() == 2
    assert pynvml.nvmlDeviceGetName(h0) == "A100-fake"
    assert pynvml.nvmlDeviceGetName(h1) == "H100-fake"
    e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h0)
    e1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h1)
    clock.advance(10.0)
    # 250 W and 400 W for 10 s: 2500 J and 4000 J, in mJ
    assert pynvml.nvmlDeviceGetTotalEnergyConsumption(h0) - e0 == 2_500_000
    assert pynvml.nvmlDeviceGetTotalEnergyConsumption(h1) - e1 == 4_000_000
    assert pynvml.nvmlDeviceGetPowerUsage(h1) == 400_000
    uuid = pynvml.nvmlDeviceGetUUID(h1)
    assert uuid.startswith("GPU-22222222")
    assert pynvml.nvmlDeviceGetIndex(pynvml.nvmlDeviceGetHandleByUUID(uuid)) == 1


def test_trace_integral_and_power_fields(fake_nvml, tmp_path):
    import pynvml

    trace = tmp_path / "trace.txt"
    trace.write_text("# t p0\n0 100000\n1.0 650000\n1.5 100000\n")
    clock = fake_nvml.init(gpus=1, trace=trace, power_avg_ms=1000)
    h = pynvml.nvmlDeviceGetHandleByIndex(0)
    e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
    clock.set(1.25)
    values = pynvml.nvmlDeviceGetFieldValues(h, [186, 185])
    assert values[0].value.uiVal == 650_000  # instant
    assert values[1].value.uiVal == 237_500  # average of the last second: (0.75·100 + 0.25·650) W
    assert pynvml.nvmlDeviceGetPowerUsage(h) == 237_500
    clock.set(3.0)
    # 1 s × 100 W + 0.5 s × 650 W + 1.5 s × 100 W = 575 J
    assert pynvml.nvmlDeviceGetTotalEnergyConsumption(h) - e0 == 575_000


def test_energy_not_supported_and_processes(fake_nvml):
    import pynvml

    fake_nvml.init(gpus=2, energy_err=3, procs="0:1,0:4242,1:7")
    h0 = pynvml.nvmlDeviceGetHandleByIndex(0)
    with pytest.raises(pynvml.NVMLError_NotSupported):
        pynvml.nvmlDeviceGetTotalEnergyConsumption(h0)
    assert sorted(p.pid for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h0)) == [1, 4242]
    h1 = pynvml.nvmlDeviceGetHandleByIndex(1)
    assert [p.pid for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h1)] == [7]


def test_lost_after_n_calls_only_on_the_lost_gpu(fake_nvml):
    import pynvml

    fake_nvml.init(gpus=2, lost_after=3, lost_gpu=1)
    h0 = pynvml.nvmlDeviceGetHandleByIndex(0)
    h1 = pynvml.nvmlDeviceGetHandleByIndex(1)
    for _ in range(3):
        pynvml.nvmlDeviceGetPowerUsage(h1)
    with pytest.raises(pynvml.NVMLError_GpuIsLost):
        pynvml.nvmlDeviceGetPowerUsage(h1)
    with pytest.raises(pynvml.NVMLError_GpuIsLost):
        pynvml.nvmlDeviceGetTotalEnergyConsumption(h1)
    for _ in range(10):
        pynvml.nvmlDeviceGetPowerUsage(h0)


def test_counter_reset_and_period(fake_nvml):
    import pynvml

    clock = fake_nvml.init(gpus=1, power_mw=100000, reset_at=5, energy_period_ms=100)
    h = pynvml.nvmlDeviceGetHandleByIndex(0)
    e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
    clock.set(0.05)
    assert pynvml.nvmlDeviceGetTotalEnergyConsumption(h) == e0  # not yet updated
    clock.set(4.0)
    assert pynvml.nvmlDeviceGetTotalEnergyConsumption(h) - e0 == 400_000
    clock.set(6.0)
    assert pynvml.nvmlDeviceGetTotalEnergyConsumption(h) == 100_000  # 1 s since the reload


def test_the_fake_is_gone_for_the_rest_of_the_process_after_its_test(fake_nvml):
    """The fake stays loaded in this process by its soname: after a test that used it, later
    tests that meter a run here must see no GPU (as on this machine), not a fake whose re-init
    restarts its counters (a spurious counter_reset, seen once under a stress run)."""
    from meter import detect_sources

    fake_nvml.init(gpus=1)
    sources = detect_sources(include_host=False).sources
    assert [s.info.kind for s in sources] == ["gpu"]
    for source in sources:
        source.close()
    fake_nvml.shutdown()  # what the fixture does at the end of every test
    assert detect_sources(include_host=False).sources == ()
