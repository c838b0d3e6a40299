"""Window boundaries on the driver's power-sample buffer (no energy counter), on a manual clock.

The driver publishes a sample every 20 ms (the fake's default), stamped at the END of the
period it averages. A window boundary between two samples has the integral up to the newest
stamp, which is up to 20 ms before the boundary: the meter must extrapolate from that stamp,
not from the moment it read the buffer, or each boundary drops up to one driver period of
energy (the residual error of ``benchmarks/meter_accuracy.py``'s sweep). The expected joules
are worked out by hand from the trace and the boundary times.
"""

from __future__ import annotations

import pytest

from meter import Meter, detect_sources
from meter.sources.driver_clock import DriverClock


def _meter(clock, sample_hz=1.0):
    detection = detect_sources(include_host=False, clock=clock)
    meter = Meter(detection.sources, sample_hz=sample_hz, clock=clock, wall=lambda: 1.7e9 + clock())
    (source,) = meter.sources
    assert source.signal == "samples"  # the driver's sample buffer is the integral's signal
    return meter


def test_boundaries_between_driver_samples_keep_their_energy(fake_nvml):
    clock = fake_nvml.init(gpus=1, power_mw=300000, energy_err=3)
    meter = _meter(clock)
    clock.set(1.013)  # the newest driver sample is stamped 1.000 s
    meter.sample_once()
    meter.begin("w")
    clock.set(3.004)  # the newest is stamped 3.000 s
    meter.sample_once()
    window = meter.end("w")
    # 300 W from 1.013 s to 3.004 s: 300 × 1.991 = 597.3 J (not 600 J from 1.000 s to 3.000 s)
    assert window.joules == pytest.approx(597.3, abs=0.01)
    meter.close()


def test_boundary_extrapolates_from_the_newest_sample_with_the_power_now(fake_nvml, tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text("0 100000\n3 650000\n")  # 100 W, then a burst of 650 W from 3 s
    clock = fake_nvml.init(gpus=1, trace=trace, energy_err=3)
    meter = _meter(clock)
    clock.set(1.013)
    meter.sample_once()
    meter.begin("w")
    for k in range(1, 8):  # the sampler's buffer reads, every 0.25 s, up to 2.763 s
        clock.set(1.013 + 0.25 * k)
        meter.sample_once()
    clock.set(3.004)  # the newest sample (3.000 s) averages 2.98–3.00 s: 100 W
    meter.sample_once()
    window = meter.end("w")
    # 100 W × (3 − 1.013) s + 650 W × 0.004 s = 198.7 + 2.6 = 201.3 J: the 4 ms since the
    # newest sample are the burst's (the instant power), not the last second's mean (100 W)
    assert window.joules == pytest.approx(201.3, abs=0.01)
    meter.close()


def test_boundary_reads_a_sample_the_driver_published_since_the_last_read(fake_nvml, tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text("0 300000\n2 500000\n")
    clock = fake_nvml.init(gpus=1, trace=trace, energy_err=3)
    meter = _meter(clock)
    for k in range(8):  # buffer reads every 0.25 s from 1.000 s to 2.750 s
        clock.set(1.0 + 0.25 * k)
        meter.sample_once()
    # the read at 2.750 s saw samples up to 2.740 s; at 2.760 s the driver has published
    # another, and at 2.900 s seven more: no sampler tick since, so each boundary reads them
    clock.set(2.76)
    meter.begin("w")
    clock.set(2.9)
    window = meter.end("w")
    assert window.joules == pytest.approx(500.0 * 0.14, abs=0.01)  # 70 J
    meter.close()


def test_driver_clock_offset_is_the_tightest_upper_bound():
    clock = DriverClock()
    assert clock.offset_s is None
    assert clock.to_clock(5_000_000, now_s=7.0) == 7.0  # nothing known: the moment it was seen
    clock.saw_sample(12.013, 2_000_000)  # a sample stamped 2.000 s seen at 12.013 s
    assert clock.offset_s == pytest.approx(10.013)
    clock.saw_sample(12.505, 2_500_000)
    assert clock.offset_s == pytest.approx(10.005)
    clock.saw_field(12.6002, 2_600_000)  # a field value stamped as it was read
    assert clock.offset_s == pytest.approx(10.0002)
    assert clock.to_clock(2_580_000, now_s=12.6) == pytest.approx(12.5802)
    assert clock.to_clock(2_600_000, now_s=12.6) == 12.6  # never after it was seen
    unix = DriverClock()  # fields in another time base than the samples: fields ignored
    unix.saw_sample(12.013, 2_000_000)
    unix.saw_field(12.6, 1_700_000_000_000_000)
    assert unix.offset_s == pytest.approx(10.013)
