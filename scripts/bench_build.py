"""Runs the build benchmark; see scripts/bench-build. Glue only: the builds are mlprov's
and make's."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

MLPROV = os.environ["MLPROV"]
ESPTOOL = os.path.join(os.path.dirname(sys.executable), "esptool")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVICES = 20
JOBS = 2


def key_for(serial):
    return hashlib.sha256(f"bench-build {serial}".encode()).hexdigest()[:32]


def main():
    work = tempfile.mkdtemp(prefix="bench-build-")
    serials = [str(8000001 + index) for index in range(DEVICES)]
    profile = os.path.join(work, "bench.yaml")
    with open(profile, "w") as f:
        f.write("installation:\n  name: bench-build\n")
        f.write(f"firmware:\n  source: {os.path.join(ROOT, 'firmware/demo')}\n")
        f.write("defaults:\n  meter: mc66c\n  thermo: normally-open\ndevices:\n")
        for serial in serials:
            f.write(f"  - serial: {serial}\n    key: {key_for(serial)}\n")
    cache = os.path.join(work, "cache")

    def mlprov_build():
        started = time.monotonic()
        result = subprocess.run([MLPROV, "build", "--profile", profile, "--all", "--jobs", str(JOBS), "--cache", cache, "--ledger", os.path.join(work, "ledger.sqlite"), "--json"],
                                capture_output=True, text=True)
        seconds = time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"bench-build: mlprov build failed:\n{result.stdout}\n{result.stderr}")
        builds = json.loads(result.stdout)["builds"]
        return seconds, sum(1 for b in builds if b["cache_hit"])

    cold_s, cold_hits = mlprov_build()
    warm_s, warm_hits = mlprov_build()

    # The peer: by hand, one device after another, in the source tree itself.
    source = os.path.join(work, "by-hand")
    shutil.copytree(os.path.join(ROOT, "firmware/demo"), source)
    started = time.monotonic()
    for serial in serials:
        env = dict(os.environ, KEY=key_for(serial), SERIAL=serial, EN61107="1", THERMO_NO="1", AP="1")
        result = subprocess.run(["make", "clean", "all", f"ESPTOOL={ESPTOOL}"], cwd=source, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"bench-build: make by hand failed:\n{result.stdout}\n{result.stderr}")
    by_hand_s = time.monotonic() - started

    print(f"{DEVICES} devices of one variant (mc66c, demo firmware), mlprov with --jobs {JOBS}")
    print(f"{'run':42} {'seconds':>8} {'s/device':>9} {'cache hits':>11}")
    print(f"{'mlprov build --all, cold cache':42} {cold_s:8.2f} {cold_s / DEVICES:9.3f} {cold_hits:11}")
    print(f"{'mlprov build --all, warm cache':42} {warm_s:8.2f} {warm_s / DEVICES:9.3f} {warm_hits:11}")
    print(f"{'by hand: make clean all per device':42} {by_hand_s:8.2f} {by_hand_s / DEVICES:9.3f} {'-':>11}")
    print(f"cold mlprov / by hand: {cold_s / by_hand_s:.3f}")
    print(json.dumps({
        "devices": DEVICES,
        "jobs": JOBS,
        "cold_s_per_device": round(cold_s / DEVICES, 4),
        "warm_s_per_device": round(warm_s / DEVICES, 4),
        "by_hand_s_per_device": round(by_hand_s / DEVICES, 4),
        "cold_ratio_to_by_hand": round(cold_s / by_hand_s, 4),
        "warm_cache_hits": warm_hits,
    }))
    shutil.rmtree(work, ignore_errors=True)


main()
