import Foundation
import Testing
import TestSupport

/// The tty waits of `mlprov ports --watch` under umockdev (see HotplugUmockdevTests for how
/// the Python driver adds devices and sends uevents to the child's libusb): each arrived
/// USB device waits for its tty on its own, so removals are not held up behind it, and a
/// known adapter chip whose tty never appears is reported as `no_tty`.
@Suite("hotplug tty waits under umockdev")
struct HotplugTTYWaitTests {
    /// Shared by the scenarios: start the watch, collect lines, stop with SIGINT.
    static let prelude = #"""
        import json, os, select, signal, subprocess, sys, time
        import gi
        gi.require_version('UMockdev', '1.0')
        from gi.repository import UMockdev

        mlprov, tty_wait, first = sys.argv[1:4]
        args = sys.argv[4:]
        testbed = UMockdev.Testbed.new()
        testbed.add_from_string(open(first).read())
        child = subprocess.Popen([mlprov, 'ports', '--watch', '--json', '--tty-wait', tty_wait], stdout=subprocess.PIPE, text=True)
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
            print(json.dumps({'lines': lines, 'exit': child.wait(60), 'code': code}))
            sys.exit(0)

        def add(description, syspath):
            testbed.add_from_string(open(description).read())
            testbed.uevent(syspath, 'add')

        # The adapter present at start is reported first: the watch has started.
        if next_line(60) is None: finish(2)

        """#

    /// A CH340 arrives without its tty yet; while mlprov waits for that tty (up to 60 s
    /// here), the first adapter is pulled: its removal must be reported at once, and only
    /// then does the script give the CH340 its tty. Waiting serially, the removal would
    /// come only after the wait, which would end without the tty (it is added only after
    /// the removal is seen).
    static let concurrent = #"""
        usb_part, tty_part, usb_syspath, tty_syspath, gone_usb, gone_tty = args
        add(usb_part, usb_syspath)
        time.sleep(0.3)
        testbed.uevent(gone_tty, 'remove')
        testbed.uevent(gone_usb, 'remove')
        testbed.remove_device(gone_usb)
        if next_line(60) is None: finish(3)
        add(tty_part, tty_syspath)
        if next_line(60) is None: finish(4)
        finish(0)
        """#

    /// A mouse (not an adapter) and then a CH340 arrive and never get a tty: after the
    /// wait (1 s here) the CH340 is reported as `no_tty`; the mouse is not reported at all.
    static let noTTY = #"""
        mouse_usb, mouse_syspath, usb_part, usb_syspath = args
        add(mouse_usb, mouse_syspath)
        add(usb_part, usb_syspath)
        if next_line(60) is None: finish(3)
        # Room for a report about the mouse (its wait ended first) to show up.
        time.sleep(1.5)
        finish(0)
        """#

    /// Runs `script` under umockdev with the CP2102 present at start; returns the JSON
    /// lines mlprov printed, parsed.
    func run(_ script: String, ttyWait: String, _ arguments: [String]) async throws -> [[String: Any]] {
        let folder = try temporaryDirectory("mlprov-hotplug")
        let path = folder.appendingPathComponent("driver.py").path
        try (Self.prelude + script).write(toFile: path, atomically: true, encoding: .utf8)
        let first = folder.appendingPathComponent("first.umockdev").path
        try MockAdapter.description([.cp2102]).write(toFile: first, atomically: true, encoding: .utf8)
        let output = try await runProcess(
            "/usr/bin/env",
            ["LD_PRELOAD=libumockdev-preload.so.0", "/usr/bin/python3", path, mlprovBinary, ttyWait, first] + arguments,
            timeout: .seconds(240))
        #expect(output.succeeded, "\(output)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output)")
        #expect(result["code"] as? Int == 0, "the driver saw every line it waited for: \(output)")
        #expect(result["exit"] as? Int == 0, "the watch ends cleanly on SIGINT: \(output)")
        return try #require(result["lines"] as? [String]).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    /// Writes `blocks` (child first, as MockAdapter gives them) parent first into a file.
    func part(_ blocks: ArraySlice<String>, _ name: String) throws -> String {
        try writeTemporary(blocks.reversed().joined(separator: "\n\n") + "\n", name: name)
    }

    @Test func aRemovalIsReportedWhileAnotherAdapterStillWaitsForItsTTY() async throws {
        let arriving = MockAdapter.ch340b, leaving = MockAdapter.cp2102
        let blocks = arriving.blocks // tty, ttyUSB port, interface, USB device
        let events = try await run(Self.concurrent, ttyWait: "60", [
            try part(blocks[2...], "usb.umockdev"), try part(blocks[..<2], "tty.umockdev"),
            "/sys" + arriving.usbPath, "/sys" + arriving.ttyPath, "/sys" + leaving.usbPath, "/sys" + leaving.ttyPath,
        ])
        #expect(events.map { "\($0["event"] ?? "?") \($0["device"] ?? "?")" } == [
            "arrived /dev/ttyUSB0", "removed /dev/ttyUSB0", "arrived /dev/ttyUSB2",
        ])
    }

    @Test func aKnownAdapterWithoutATTYIsReportedAndOtherUSBDevicesAreNot() async throws {
        let mouse = MockAdapter(tty: "ttyUSB9", port: "3", devnum: 9, vendorID: 0x046D, productID: 0xC077, serial: nil, driver: "usbhid")
        let arriving = MockAdapter.ch340a
        let events = try await run(Self.noTTY, ttyWait: "1", [
            try part(mouse.blocks.suffix(1), "mouse.umockdev"), "/sys" + mouse.usbPath,
            try part(arriving.blocks[2...], "usb.umockdev"), "/sys" + arriving.usbPath,
        ])
        #expect(events.map { "\($0["event"] ?? "?")" } == ["arrived", "no_tty"], "\(events)")
        let report = try #require(events.last)
        #expect(report["usb_location"] as? String == "1-2.1")
        #expect(report["vid"] as? String == "1a86")
        #expect(report["pid"] as? String == "7523")
        #expect(report["chip"] as? String == "CH340")
        #expect(report["device"] is NSNull, "no tty: device is null")
    }
}
