"""Runs the flash benchmark; see scripts/bench-flash. Glue only: all work is done by the
mlprov binary (twin and flasher) and esptool; the sample set comes from
mlprov-bench-fixtures."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

MLPROV = os.environ["MLPROV"]
BENCH_FIXTURES = os.environ["BENCH_FIXTURES"]
ESPTOOL = os.path.join(os.path.dirname(sys.executable), "esptool")


def start_twin(flash_file):
    twin = subprocess.Popen(
        [MLPROV, "sim", "--pty", "--timing", "realistic", "--flash", flash_file],
        stdout=subprocess.PIPE, text=True)
    first = twin.stdout.readline().strip()
    if not first.startswith("pty: "):
        twin.kill()
        sys.exit(f"bench-flash: the twin did not start: {first!r}")
    return twin, first[len("pty: "):]


def stop_twin(twin):
    twin.send_signal(signal.SIGTERM)
    out, _ = twin.communicate(timeout=60)
    stats = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return stats[-1] if stats else {}


def timed_run(label, command_for_port, parts, folder):
    flash_file = os.path.join(folder, f"flash-{label}.bin")
    twin, port = start_twin(flash_file)
    try:
        started = time.monotonic()
        result = subprocess.run(command_for_port(port) + parts, capture_output=True, text=True)
        seconds = time.monotonic() - started
    finally:
        stats = stop_twin(twin)
    if result.returncode != 0:
        sys.exit(f"bench-flash: {label} failed:\n{result.stdout}\n{result.stderr}")
    with open(flash_file, "rb") as f:
        flash = f.read()
    return seconds, stats, flash


def main():
    folder = tempfile.mkdtemp(prefix="bench-flash-")
    parts = subprocess.run([BENCH_FIXTURES, "sample-set", folder], check=True, capture_output=True, text=True).stdout.split()
    mlprov = lambda baud, *extra: lambda port: [
        MLPROV, "write-flash", "--port", port, "--baud", str(baud), "--before", "no-reset", "--after", "no-reset",
        *extra, "--flash-mode", "dout", "--flash-size", "1MB"]
    esptool = lambda *extra: lambda port: [
        ESPTOOL, "--chip", "esp8266", "--port", port, "--baud", "115200", "--before", "no-reset", "--after", "no-reset",
        *extra, "write-flash", "--flash-mode", "dout", "--flash-size", "1MB"]

    payload = sum(os.path.getsize(parts[i + 1]) for i in range(0, len(parts), 2))
    print(f"set: {len(parts) // 2} files, {payload} bytes; twin timing: realistic", file=sys.stderr)
    # (label, key, command, line rate, stub: flash work overlaps the line)
    runs = [
        ("esptool --no-stub @115200", "esptool-nostub", esptool("--no-stub"), 115200, False),
        ("esptool (its stub) @115200", "esptool-stub", esptool(), 115200, True),
        ("mlprov (its stub) @115200", "mlprov-stub", mlprov(115200), 115200, True),
        ("mlprov --no-stub @115200", "mlprov-rom", mlprov(115200, "--no-stub"), 115200, False),
        ("mlprov (its stub) @921600", "mlprov-stub-921600", mlprov(921600), 921600, True),
        ("mlprov --no-stub @921600", "mlprov-rom-921600", mlprov(921600, "--no-stub"), 921600, False),
    ]
    results = {}
    for label, key, command, _, _ in runs:
        results[key] = timed_run(key, command, parts, folder)
    flashes = {key: result[2] for key, result in results.items()}
    reference = flashes["esptool-nostub"]
    different = [key for key, flash in flashes.items() if flash != reference]
    if different:
        sys.exit(f"bench-flash: these runs left other flash contents than esptool --no-stub: {different}")

    # The least time a run can take for what it sent. The twin's busy time is every byte at
    # the line rate (10 bits) plus the modelled erase and program time. Through the ROM the
    # two follow each other, so that sum is the bound. A stub erases and programs a block
    # while the next one arrives, so its bound is the larger of the two alone.
    def bound(key, baud, stub):
        stats = results[key][1]
        line = (stats.get("bytes_received", 0) + stats.get("bytes_sent", 0)) * 10 / baud
        busy = stats.get("busy_s", 0)
        return max(line, busy - line) if stub else busy

    bounds = {key: bound(key, baud, stub) for _, key, _, baud, stub in runs}
    print(f"{'run':30} {'seconds':>8} {'bound':>8} {'over':>7} {'bytes to chip':>14} {'bytes from chip':>16}")
    for label, key, _, _, _ in runs:
        seconds, stats, _ = results[key]
        print(f"{label:30} {seconds:8.2f} {bounds[key]:8.2f} {100 * (seconds / bounds[key] - 1):6.1f}% "
              f"{stats.get('bytes_received', 0):14} {stats.get('bytes_sent', 0):16}")
    seconds = lambda key: results[key][0]
    ratio = seconds("mlprov-stub") / seconds("esptool-nostub")
    rom_bound = bounds["mlprov-rom"]
    print(f"mlprov / esptool --no-stub at 115200: {ratio:.3f}")
    print(f"mlprov / esptool with its stub at 115200: {seconds('mlprov-stub') / seconds('esptool-stub'):.3f}")
    print(f"mlprov --no-stub over the ROM protocol's wire bound at 115200: {100 * (seconds('mlprov-rom') / rom_bound - 1):.1f} %")
    print(f"mlprov (stub) over its own bound at 115200: {100 * (seconds('mlprov-stub') / bounds['mlprov-stub'] - 1):.1f} %")
    print(json.dumps({
        "mlprov_115200_s": round(seconds("mlprov-stub"), 3),
        "esptool_nostub_115200_s": round(seconds("esptool-nostub"), 3),
        "ratio": round(ratio, 4),
        "wire_bound_115200_s": round(rom_bound, 3),
        "mlprov_rom_115200_s": round(seconds("mlprov-rom"), 3),
        "mlprov_rom_over_bound_115200": round(seconds("mlprov-rom") / rom_bound - 1, 4),
        "stub_bound_115200_s": round(bounds["mlprov-stub"], 3),
        "mlprov_over_stub_bound_115200": round(seconds("mlprov-stub") / bounds["mlprov-stub"] - 1, 4),
        "esptool_stub_115200_s": round(seconds("esptool-stub"), 3),
        "esptool_nostub_wire_bound_115200_s": round(bounds["esptool-nostub"], 3),
        "mlprov_921600_s": round(seconds("mlprov-stub-921600"), 3),
        "mlprov_rom_921600_s": round(seconds("mlprov-rom-921600"), 3),
        "wire_bound_921600_s": round(bounds["mlprov-rom-921600"], 3),
        "stub_bound_921600_s": round(bounds["mlprov-stub-921600"], 3),
    }))


main()
