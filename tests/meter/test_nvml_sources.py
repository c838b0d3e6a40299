"""NVML sources through the real pynvml and the fake driver, in-process, on a manual clock."""

from __future__ import annotations

import ctypes
import os
import threading

import pytest

from meter import Meter, detect_sources


def _meter(clock, sample_hz=1.0, **kwargs):
    detection = detect_sources(include_host=False, clock=clock, **kwargs)
    meter = Meter(detection.sources, sample_hz=sample_hz, clock=clock, wall=lambda: 1.7e9 + clock())
    return meter, detection


def _by_id(measurement):
    return {d.device_id: d for d in measurement.devices}


GPU0 = "GPU-11111111-fa4e-4e00-8000-000000000000"
GPU1 = "GPU-22222222-fa4e-4e00-8000-000000000001"
GPU2 = "GPU-33333333-fa4e-4e00-8000-000000000002"


def test_constant_power_two_gpus(fake_nvml):
    clock = fake_nvml.init(gpus=2, power_mw=[250000, 400000])
    meter, detection = _meter(clock)
    assert [s.info.device_id for s in meter.sources] == [GPU0, GPU1]
    meter.begin("run")
    clock.advance(8.0)
    m = meter.end("run")
    devices = _by_id(m)
    assert devices[GPU0].joules == pytest.approx(2000.0, abs=0.002)  # 250 W × 8 s
    assert devices[GPU1].joules == pytest.approx(3200.0, abs=0.002)  # 400 W × 8 s
    assert {d.method for d in m.devices} == {"nvml_energy_counter"}
    assert not m.approximated
    assert m.duration_s == 8.0
    meter.close()


def test_trace_nested_and_overlapping_windows(fake_nvml, tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text("0 100000\n2 300000\n4 100000\n")  # 100 W, 300 W from 2 s, 100 W from 4 s
    clock = fake_nvml.init(gpus=1, trace=trace)
    meter, _ = _meter(clock)
    meter.begin("outer")
    clock.set(1.0)
    meter.begin("inner")
    clock.set(3.0)
    meter.begin("overlap")
    inner = meter.end("inner")
    clock.set(5.0)
    outer = meter.end("outer")
    clock.set(6.0)
    overlap = meter.end("overlap")
    assert outer.joules == pytest.approx(100 * 2 + 300 * 2 + 100 * 1, abs=0.002)  # 900 J
    assert inner.joules == pytest.approx(100 * 1 + 300 * 1, abs=0.002)  # 400 J
    assert overlap.joules == pytest.approx(300 * 1 + 100 * 2, abs=0.002)  # 500 J
    with meter.window("ctx") as out:
        clock.advance(0.5)
    assert out[0].joules == pytest.approx(50.0, abs=0.002)
    with pytest.raises(ValueError, match="never begun"):
        meter.end("nope")
    meter.begin("twice")
    with pytest.raises(ValueError, match="already open"):
        meter.begin("twice")
    meter.close()


def test_short_window_is_power_times_time_and_flagged(fake_nvml):
    clock = fake_nvml.init(gpus=1, power_mw=300000, energy_period_ms=100)
    meter, _ = _meter(clock)
    meter.start()  # one sample: power is known
    clock.set(1.01)
    meter.begin("step")
    clock.advance(0.02)  # 20 ms: the counter has not moved
    step = meter.end("step")
    assert step.devices[0].joules == pytest.approx(300.0 * 0.02)  # 6 J, never 0
    assert step.approximated
    clock.set(2.0)
    meter.begin("long")
    clock.set(4.0)
    long = meter.end("long")
    assert long.devices[0].joules == pytest.approx(600.0, abs=0.002)
    assert not long.approximated
    meter.close()


def test_energy_not_supported_falls_back_to_sampled_power(fake_nvml, tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text("0 200000\n5 400000\n")
    clock = fake_nvml.init(gpus=1, trace=trace, energy_err=3)
    meter, detection = _meter(clock, sample_hz=10)
    (source,) = meter.sources
    assert source.instant_field  # 10 Hz: the timeline draws the instant power
    assert source.signal == "samples"  # and the integral uses the driver's sample buffer
    assert source.info.method == "nvml_power_sampled"
    assert source.info.approximated
    assert "field 186" in detection.probes[0].reason
    assert "nvmlDeviceGetSamples" in detection.probes[0].reason
    assert "not supported" in detection.probes[0].reason
    meter.sample_once()
    meter.begin("run")
    for _ in range(100):  # 10 s at 10 Hz
        clock.advance(0.1)
        meter.sample_once()
    m = meter.end("run")
    assert m.devices[0].method == "nvml_power_sampled"
    assert m.devices[0].approximated
    assert m.joules == pytest.approx(200 * 5 + 400 * 5, rel=0.01)  # 3000 J
    series = meter.drain_samples()
    assert len(series[0].power_w) == 101
    assert series[0].power_w[-1] == pytest.approx(400.0)
    meter.close()


def test_sampled_power_at_1_hz_uses_the_one_second_average(fake_nvml, tmp_path):
    trace = tmp_path / "trace.txt"
    # 50 ms bursts of 650 W every 250 ms on 100 W: 1 Hz instant readings would alias
    trace.write_text(
        "".join(f"{k * 0.25:.2f} 650000\n{k * 0.25 + 0.05:.2f} 100000\n" for k in range(40))
    )
    clock = fake_nvml.init(gpus=1, trace=trace, energy_err=3, samples_err=3)
    meter, _ = _meter(clock, sample_hz=1)
    assert not meter.sources[0].instant_field
    assert meter.sources[0].signal == "average"  # field 185, with no sample buffer
    clock.set(1.0)
    meter.sample_once()
    meter.begin("run")
    for _ in range(6):
        clock.advance(1.0)
        meter.sample_once()
    # 4 bursts a second: 4 × 0.05 × 650 + 0.8 × 100 = 210 W, for 6 s
    assert meter.end("run").joules == pytest.approx(1260.0, rel=0.01)
    meter.close()


def test_sampled_power_without_field_values_uses_power_usage(fake_nvml):
    clock = fake_nvml.init(gpus=1, power_mw=150000, energy_err=3, fields_err=3, samples_err=3)
    meter, detection = _meter(clock)
    assert meter.sources[0].signal == "power_usage"
    assert "nvmlDeviceGetPowerUsage" in detection.probes[0].reason
    meter.sample_once()
    meter.begin("run")
    for _ in range(4):
        clock.advance(0.5)
        meter.sample_once()
    assert meter.end("run").joules == pytest.approx(300.0)
    meter.close()


def test_gpu_lost_mid_run_other_gpu_goes_on(fake_nvml):
    clock = fake_nvml.init(gpus=2, power_mw=[100000, 200000], lost_gpu=1, lost_after=12)
    meter, _ = _meter(clock)
    meter.begin("run")
    for _ in range(20):
        clock.advance(1.0)
        meter.sample_once()
    m = meter.end("run")  # never raises
    devices = _by_id(m)
    assert devices[GPU0].joules == pytest.approx(2000.0, abs=0.01)
    assert 0 < devices[GPU1].joules < 200.0 * 20  # frozen at the last good reading
    problems = meter.drain_problems()
    lost = [p for p in problems if p.code == "device_lost"]
    assert len(lost) == 1 and lost[0].device_id == GPU1 and lost[0].severity == "error"
    series = {s.device_id: s for s in meter.drain_samples()}
    assert len(series[GPU0].power_w) == 20
    assert len(series[GPU1].power_w) < 20  # its series ends
    clock.advance(5.0)
    frozen = meter.snapshot()[2][1].energy_j
    clock.advance(5.0)
    assert meter.snapshot()[2][1].energy_j == frozen
    meter.close()


def test_gpu_lost_in_the_sampled_fallback(fake_nvml):
    clock = fake_nvml.init(gpus=1, power_mw=100000, energy_err=3, lost_after=10)
    meter, _ = _meter(clock)
    for _ in range(15):
        clock.advance(1.0)
        meter.sample_once()
    assert [p.code for p in meter.drain_problems()] == ["power_signal", "device_lost"]
    meter.close()


def test_counter_reset_is_bridged_and_reported(fake_nvml):
    clock = fake_nvml.init(gpus=1, power_mw=100000, reset_at=5.0)
    meter, _ = _meter(clock)
    meter.sample_once()
    meter.begin("run")
    meter.begin("before")
    for step in range(10):
        clock.advance(1.0)
        meter.sample_once()
        if step == 2:
            before = meter.end("before")
        if step == 6:
            meter.begin("after")
    run = meter.end("run")
    after = meter.end("after")
    assert run.joules == pytest.approx(1000.0, abs=0.01)  # 100 W × 10 s, the gap bridged
    assert run.approximated
    assert not before.approximated and not after.approximated
    assert after.joules == pytest.approx(300.0, abs=0.01)
    resets = [p for p in meter.drain_problems() if p.code == "counter_reset"]
    assert len(resets) == 1 and "bridged by power × time" in resets[0].message
    meter.close()


def test_a_counter_that_steps_back_is_bridged_by_power_not_counted_whole(fake_nvml):
    """A counter that goes backwards without restarting from 0 (the driver's clock set back
    3 s, so it reads 300 J less but still ~7 MJ since the driver loaded) is bridged by power ×
    time. Counting what it holds as the energy since a restart added ~7 MJ to a 4 s window
    (1.34 MW) once in a stress run of tests/faults/test_nvml_faults.py."""
    clock = fake_nvml.init(gpus=1, power_mw=100000)  # 100 W, the counter starting at 7e9 mJ
    meter, _ = _meter(clock)
    meter.sample_once()
    meter.begin("run")
    lag_s = 0.0
    for step in range(10):
        if step == 5:
            lag_s = 3.0  # from here on the driver's counter reads 3 s (300 J) behind
        clock.t_s += 1.0  # the meter's clock moves 1 s; the driver's lags behind it
        fake_nvml.lib.fakeNvmlSetTime(ctypes.c_double(clock.t_s - lag_s))
        meter.sample_once()
    run = meter.end("run")
    # 100 W × 10 s: the second of the step is bridged (100 J), the others counted
    assert run.joules == pytest.approx(1000.0, abs=0.01)
    assert run.approximated
    resets = [p for p in meter.drain_problems() if p.code == "counter_reset"]
    assert len(resets) == 1 and "(100.0 J, approximated)" in resets[0].message
    meter.close()


def test_two_readings_at_once_are_differenced_in_the_order_taken(fake_nvml):
    """The sampler thread and a window boundary read the same counter. A reading taken first
    but differenced second (its thread descheduled in between, as under load) looked like a
    counter that went backwards: a spurious counter_reset, and with the old bridge the whole
    ~7 MJ counter added to the run. The driver call is slowed here as the scheduler did."""
    clock = fake_nvml.init(gpus=1, power_mw=100000)
    meter, _ = _meter(clock)
    source = meter.sources[0]
    meter.sample_once()
    meter.begin("run")
    real = source._energy_fn
    taken, go = threading.Event(), threading.Event()

    def descheduled_after_the_driver_call(handle):
        value = real(handle)
        if threading.current_thread().name == "first":
            taken.set()
            go.wait(5)
        return value

    source._energy_fn = descheduled_after_the_driver_call
    first = threading.Thread(target=source.read, name="first")
    first.start()
    assert taken.wait(5)
    clock.advance(1.0)
    second = threading.Thread(target=source.read, name="second")
    second.start()
    second.join(0.5)  # before the fix it read, differenced and returned here
    go.set()
    first.join(5)
    second.join(5)
    source._energy_fn = real
    clock.advance(1.0)
    meter.sample_once()
    run = meter.end("run")
    assert [p.code for p in meter.drain_problems() if p.code == "counter_reset"] == []
    assert run.joules == pytest.approx(200.0, abs=0.01)  # 100 W × 2 s
    assert not run.approximated
    meter.close()


def test_shared_gpu_reported_once_per_device(fake_nvml):
    me = os.getpid()
    clock = fake_nvml.init(gpus=2, procs=f"0:1,0:{me},1:{me}")  # PID 1 is not in our tree
    meter, _ = _meter(clock)
    for _ in range(10):
        clock.advance(1.0)
        meter.sample_once()
    shared = [p for p in meter.drain_problems() if p.code == "shared_gpu"]
    assert [p.device_id for p in shared] == [GPU0]
    assert "1" in shared[0].message
    assert all(s.used_by_tree for s in meter.sources)
    meter.close()


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        ("1", [GPU1]),
        ("2,0", [GPU2, GPU0]),
        (GPU1, [GPU1]),
        ("GPU-33333333", [GPU2]),  # a unique UUID prefix
        ("0,7,1", [GPU0]),  # CUDA stops at the first entry that matches nothing
        ("", []),
        ("-1", []),
    ],
)
def test_cuda_visible_devices_selects_nvml_devices(fake_nvml, monkeypatch, visible, expected):
    clock = fake_nvml.init(gpus=3)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    meter, detection = _meter(clock)
    assert [s.info.device_id for s in meter.sources] == expected
    unselected = [p for p in detection.probes if not p.used and p.device_id]
    assert all("CUDA_VISIBLE_DEVICES" in p.reason for p in unselected)
    meter.close()


def test_gpus_override_beats_cuda_visible_devices(fake_nvml, monkeypatch):
    clock = fake_nvml.init(gpus=3)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    meter, detection = _meter(clock, gpus="2," + GPU1)
    assert [s.info.device_id for s in meter.sources] == [GPU2, GPU1]
    meter.close()
    meter, detection = _meter(clock, gpus=["0", "9"])
    assert [s.info.device_id for s in meter.sources] == [GPU0]
    assert any("`gpus` 9: no GPU with index 9" in p.reason for p in detection.probes)
    meter.close()


def test_nvml_init_failure_is_a_reason(fake_nvml, monkeypatch):
    fake_nvml.init(gpus=1)
    fake_nvml.shutdown()
    monkeypatch.setenv("FAKE_NVML_INIT_ERR", "9")
    detection = detect_sources(include_host=False)
    assert detection.sources == ()
    assert "Driver Not Loaded" in detection.probes[0].reason
    assert not detection.probes[0].used
