"""Runs the flash benchmark; see scripts/bench-flash. Glue only: all work is done by the
mlprov binary (twin and flasher) and esptool."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

MLPROV = os.environ["MLPROV"]
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
    parts = subprocess.run([MLPROV, "sample-set", folder], check=True, capture_output=True, text=True).stdout.split()
    common_mlprov = lambda baud: lambda port: [
        MLPROV, "write-flash", "--port", port, "--baud", str(baud), "--before", "no-reset", "--after", "no-reset",
        "--flash-mode", "dout", "--flash-size", "1MB"]
    esptool = lambda port: [
        ESPTOOL, "--chip", "esp8266", "--port", port, "--baud", "115200", "--before", "no-reset", "--after", "no-reset",
        "--no-stub", "write-flash", "--flash-mode", "dout", "--flash-size", "1MB"]

    payload = sum(os.path.getsize(parts[i + 1]) for i in range(0, len(parts), 2))
    print(f"set: {len(parts) // 2} files, {payload} bytes; twin timing: realistic", file=sys.stderr)
    esptool_s, esptool_stats, esptool_flash = timed_run("esptool-115200", esptool, parts, folder)
    mlprov_s, mlprov_stats, mlprov_flash = timed_run("mlprov-115200", common_mlprov(115200), parts, folder)
    fast_s, fast_stats, fast_flash = timed_run("mlprov-921600", common_mlprov(921600), parts, folder)
    if not (esptool_flash == mlprov_flash == fast_flash):
        sys.exit("bench-flash: the three runs left different flash contents")

    bound = mlprov_stats.get("busy_s")
    bound_fast = fast_stats.get("busy_s")
    rows = [
        ("esptool --no-stub @115200", esptool_s, esptool_stats),
        ("mlprov @115200", mlprov_s, mlprov_stats),
        ("mlprov direct sync @921600", fast_s, fast_stats),
    ]
    print(f"{'run':30} {'seconds':>8} {'wire+flash bound':>17} {'bytes to chip':>14} {'bytes from chip':>16}")
    for label, seconds, stats in rows:
        print(f"{label:30} {seconds:8.2f} {stats.get('busy_s', 0):17.2f} {stats.get('bytes_received', 0):14} {stats.get('bytes_sent', 0):16}")
    ratio = mlprov_s / esptool_s
    print(f"mlprov / esptool at 115200: {ratio:.3f}")
    print(f"mlprov over its wire bound at 115200: {100 * (mlprov_s / bound - 1):.1f} %")
    print(f"mlprov at 921600 over its wire bound: {100 * (fast_s / bound_fast - 1):.1f} %")
    print(json.dumps({
        "mlprov_115200_s": round(mlprov_s, 3),
        "esptool_nostub_115200_s": round(esptool_s, 3),
        "ratio": round(ratio, 4),
        "wire_bound_115200_s": round(bound, 3),
        "mlprov_over_bound_115200": round(mlprov_s / bound - 1, 4),
        "esptool_wire_bound_115200_s": round(esptool_stats.get("busy_s", 0), 3),
        "mlprov_921600_s": round(fast_s, 3),
        "wire_bound_921600_s": round(bound_fast, 3),
    }))


main()
