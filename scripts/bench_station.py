"""Runs the station benchmark; see scripts/bench-station. Glue only: the twins, the
builds and the station are the mlprov binary."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MLPROV = os.environ["MLPROV"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = 8
# The line rate: 921600 by default (what a technician uses); `scripts/bench-station --baud
# 115200` makes each board's flash several seconds long.
BAUD = int(sys.argv[sys.argv.index("--baud") + 1]) if "--baud" in sys.argv else 921600


def write_profile(folder):
    lines = [
        "installation:", "  name: bench station", "firmware:", f"  source: {ROOT}/firmware/demo",
        "flash:", "  mode: dout", "  size: 1MB", "  freq: 40m", f"  baud: {BAUD}",
        "defaults:", "  meter: kmp", "  ap: true", "devices:",
    ]
    for index in range(BOARDS):
        lines += [f"  - serial: {4000001 + index}", "    key: generate"]
    path = os.path.join(folder, "bench.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start_twin(folder, index):
    twin = subprocess.Popen(
        [MLPROV, "sim", "--pty", "--timing", "realistic", "--mac", f"18:fe:34:be:00:{index:02x}",
         "--flash", os.path.join(folder, f"flash-{index}.bin")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = twin.stdout.readline().strip()
    if not first.startswith("pty: "):
        twin.kill()
        sys.exit(f"bench-station: the twin did not start: {first!r}")
    return twin, first[len("pty: "):]


def stop_twin(twin):
    twin.send_signal(signal.SIGTERM)
    out, _ = twin.communicate(timeout=60)
    stats = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return stats[-1] if stats else {}


def station_run(label, count, folder, profile, warm_ledger, cache):
    """One station run on `count` fresh twins; returns seconds and per-board phase times."""
    ledger = os.path.join(folder, f"ledger-{label}.sqlite")
    shutil.copyfile(warm_ledger, ledger)
    os.chmod(ledger, 0o600)
    twins = [start_twin(folder, 16 * count + index) for index in range(count)]
    ports = ",".join(port for _, port in twins)
    command = [MLPROV, "station", "--profile", profile, "--ledger", ledger, "--cache", cache, "--ports", ports,
               "--before", "no-reset", "--jobs", str(count), "--once", "--json"]
    phases = {}
    try:
        started = time.monotonic()
        station = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in station.stdout:
            now = time.monotonic() - started
            event = json.loads(line)
            if "slot" in event:
                phases.setdefault(event["slot"], {}).setdefault(event["phase"], now)
        station.wait()
        seconds = time.monotonic() - started
        errors = station.stderr.read()
    finally:
        stats = [stop_twin(twin) for twin, _ in twins]
    if station.returncode != 0:
        sys.exit(f"bench-station: the {label} run failed (exit {station.returncode}):\n{errors}")
    return seconds, phases, stats


def describe(label, seconds, phases, stats):
    flashing = [p["booting"] - p["flashing"] for p in phases.values() if "flashing" in p and "booting" in p]
    booting = [p["done"] - p["booting"] for p in phases.values() if "booting" in p and "done" in p]
    first_flash = min(p.get("flashing", seconds) for p in phases.values())
    busy = max((s.get("busy_s", 0) for s in stats), default=0)
    print(f"{label}: {seconds:.2f} s; first board flashing at {first_flash:.2f} s; "
          f"flash {min(flashing):.2f}-{max(flashing):.2f} s per board (twin's wire bound {busy:.2f} s); "
          f"boot check {min(booting):.2f}-{max(booting):.2f} s", file=sys.stderr)
    return {"first_flash_s": round(first_flash, 3), "flash_max_s": round(max(flashing), 3),
            "boot_max_s": round(max(booting), 3), "wire_bound_s": round(busy, 3)}


def main():
    folder = tempfile.mkdtemp(prefix="bench-station-")
    try:
        profile = write_profile(folder)
        warm_ledger = os.path.join(folder, "ledger-warm.sqlite")
        cache = os.path.join(folder, "cache")
        started = time.monotonic()
        subprocess.run([MLPROV, "build", "--profile", profile, "--all", "--jobs", "2", "--ledger", warm_ledger,
                        "--cache", cache], check=True, capture_output=True, text=True)
        print(f"warmed: built the {BOARDS} devices' firmware first ({time.monotonic() - started:.1f} s), "
              f"so the runs below take it from the cache; twins: realistic timing, {BAUD} baud", file=sys.stderr)
        one, one_phases, one_stats = station_run("one", 1, folder, profile, warm_ledger, cache)
        one_detail = describe("1 board ", one, one_phases, one_stats)
        eight, eight_phases, eight_stats = station_run("eight", BOARDS, folder, profile, warm_ledger, cache)
        eight_detail = describe(f"{BOARDS} boards", eight, eight_phases, eight_stats)
        ratio = eight / one
        print(f"1 board: {one:.2f} s, {BOARDS} boards in parallel: {eight:.2f} s, ratio {ratio:.3f} (target <= 1.15)",
              file=sys.stderr)
        print(json.dumps({"one_board_s": round(one, 3), "eight_boards_s": round(eight, 3), "ratio": round(ratio, 3),
                          "boards": BOARDS, "timing": "realistic", "baud": BAUD, "cache": "warm",
                          "one_board": one_detail, "eight_boards": eight_detail}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
