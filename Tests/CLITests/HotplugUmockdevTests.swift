import Foundation
import Testing
import TestSupport

/// Hotplug through libusb under umockdev. umockdev-run cannot add devices later, so a
/// Python script drives an umockdev testbed through GObject introspection
/// (`gi.repository.UMockdev`): it runs under libumockdev's preload itself (uevents are
/// checked against the testbed's /sys), starts `mlprov ports --watch --json` as its child
/// in the same testbed, adds devices with `add_from_string` and announces them with
/// `uevent(…, "add")`, which libusb's udev monitor in the child receives, then
/// `uevent(…, "remove")` and `remove_device`. Lines the child prints are collected; after
/// the removal it gets a moment for any duplicate, then SIGINT.
@Suite("hotplug under umockdev")
struct HotplugUmockdevTests {
    static let driver = #"""
        import json, os, select, signal, subprocess, sys, time
        import gi
        gi.require_version('UMockdev', '1.0')
        from gi.repository import UMockdev

        mlprov, first, usb_part, tty_part, usb_syspath, tty_syspath = sys.argv[1:7]
        testbed = UMockdev.Testbed.new()
        testbed.add_from_string(open(first).read())
        child = subprocess.Popen([mlprov, 'ports', '--watch', '--json'], stdout=subprocess.PIPE, text=True)
        lines = []

        def next_line(timeout):
            ready, _, _ = select.select([child.stdout], [], [], timeout)
            if not ready:
                return None
            line = child.stdout.readline()
            lines.append(line.strip())
            return line

        def finish(code):
            child.send_signal(signal.SIGINT)
            rest = child.stdout.read()
            lines.extend(l for l in rest.splitlines() if l.strip())
            print(json.dumps({'lines': lines, 'exit': child.wait(60)}))
            sys.exit(code)

        # The adapter present at start is reported first: the watch has started.
        if next_line(60) is None: finish(2)
        # The USB device arrives before its tty (as on real hardware): mlprov must wait for it.
        testbed.add_from_string(open(usb_part).read())
        testbed.uevent(usb_syspath, 'add')
        time.sleep(0.3)
        testbed.add_from_string(open(tty_part).read())
        testbed.uevent(tty_syspath, 'add')
        if next_line(60) is None: finish(3)
        testbed.uevent(tty_syspath, 'remove')
        testbed.uevent(usb_syspath, 'remove')
        testbed.remove_device(usb_syspath)
        if next_line(60) is None: finish(4)
        # Room for a duplicate event to show up before stopping.
        time.sleep(1.5)
        finish(0)
        """#

    @Test func anArrivalAndARemovalEachProduceExactlyOneEvent() async throws {
        let folder = try temporaryDirectory("mlprov-hotplug")
        let script = folder.appendingPathComponent("hotplug.py").path
        try Self.driver.write(toFile: script, atomically: true, encoding: .utf8)
        let arriving = MockAdapter.ch340b
        let blocks = arriving.blocks // tty, ttyUSB port, interface, USB device
        let first = folder.appendingPathComponent("first.umockdev").path
        let usbPart = folder.appendingPathComponent("usb.umockdev").path
        let ttyPart = folder.appendingPathComponent("tty.umockdev").path
        try MockAdapter.description([.cp2102]).write(toFile: first, atomically: true, encoding: .utf8)
        try (blocks[2...].reversed().joined(separator: "\n\n") + "\n").write(toFile: usbPart, atomically: true, encoding: .utf8)
        try (blocks[..<2].reversed().joined(separator: "\n\n") + "\n").write(toFile: ttyPart, atomically: true, encoding: .utf8)

        let output = try await runProcess(
            "/usr/bin/env",
            ["LD_PRELOAD=libumockdev-preload.so.0", "/usr/bin/python3", script, mlprovBinary, first, usbPart, ttyPart,
             "/sys" + arriving.usbPath, "/sys" + arriving.ttyPath],
            timeout: .seconds(180))
        #expect(output.succeeded, "\(output)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output)")
        #expect(result["exit"] as? Int == 0, "the watch ends cleanly on SIGINT: \(output)")
        let events = try #require(result["lines"] as? [String]).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(events.map { "\($0["event"] ?? "?") \($0["device"] ?? "?")" } == [
            "arrived /dev/ttyUSB0", "arrived /dev/ttyUSB2", "removed /dev/ttyUSB2",
        ])
        let arrival = try #require(events.count > 1 ? events[1]["port"] as? [String: Any] : nil)
        #expect(arrival["chip"] as? String == "CH340")
        #expect(arrival["by_path"] as? String == "/dev/serial/by-path/pci-0000:00:14.0-usb-0:2.2:1.0-port0")
        #expect(arrival["usb_location"] as? String == "1-2.2")
    }
}
