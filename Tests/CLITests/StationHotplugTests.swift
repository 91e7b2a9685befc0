import ESPImage
import Foundation
import MeterLogger
import Provisioning
import Testing
import TestSupport

/// `mlprov station` without `--ports` (hotplug): a USB serial adapter plugged in while the
/// station runs is picked up and the board behind it provisioned. No hardware: a Python
/// script drives an umockdev testbed through GObject introspection (as HotplugUmockdevTests
/// does) and runs the station as its child under libumockdev's preload; it adds a CP2102
/// with its tty and announces both with uevents, which libusb's hotplug monitor in the
/// station receives.
///
/// umockdev emulates the tty node as a pseudo-terminal: the station opens /dev/ttyUSB0 (the
/// slave), the script holds the master (`get_dev_fd`) and relays bytes both ways to a device
/// twin (`mlprov sim --pty`, started outside the testbed). The twin learns the line rate from
/// its pty's termios, so the relay keeps the twin-side line at the rate the station set on
/// /dev/ttyUSB0 (read through the master with TCGETS2): the station talks to the loader at
/// the profile's 115200, then moves to 74880 to check the boot. Two umockdev 0.17 rules are
/// worked around in the testbed, not in mlprov: its isatty() answers 1 for an emulated pty
/// only when the node's major is 4, so the tty is given 4:64 instead of ttyUSB's 188:0; and
/// the ioctls a client makes on an emulated node go to the testbed, whose default handler
/// fails the ones it does not know (TIOCEXCL) with ENOTTY, so the script attaches a handler
/// that runs every ioctl on the real pty.
@Suite("station hotplug under umockdev")
struct StationHotplugTests {
    static let driver = #"""
        import fcntl, json, os, queue, select, signal, struct, subprocess, sys, threading, time, tty
        import gi
        gi.require_version('UMockdev', '1.0')
        from gi.repository import UMockdev

        (mlprov, first, usb_part, tty_part, usb_syspath, tty_syspath, twin_flash, twin_mac,
         profile, ledger, cache, serial) = sys.argv[1:13]

        # struct termios2 (asm-generic/termbits.h): 4 flag words, c_line, 19 c_cc, ispeed, ospeed.
        TERMIOS2 = struct.Struct('IIIIB19sII')
        TCGETS2 = 0x802C542A
        TCSETS2 = 0x402C542B
        CBAUD = 0o010017
        BOTHER = 0o010000


        def get_speed(fd):
            fields = TERMIOS2.unpack(fcntl.ioctl(fd, TCGETS2, bytes(TERMIOS2.size)))
            return fields[7]


        def set_speed(fd, rate):
            fields = list(TERMIOS2.unpack(fcntl.ioctl(fd, TCGETS2, bytes(TERMIOS2.size))))
            fields[2] = (fields[2] & ~CBAUD) | BOTHER
            fields[6] = fields[7] = rate
            fcntl.ioctl(fd, TCSETS2, TERMIOS2.pack(*fields))


        # The twin, outside the testbed (its pty is a real one).
        plain_env = {k: v for k, v in os.environ.items() if k not in ('LD_PRELOAD', 'UMOCKDEV_DIR')}
        twin = subprocess.Popen([mlprov, 'sim', '--pty', '--timing', 'off', '--flash', twin_flash, '--mac', twin_mac],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=plain_env)
        twin_line = twin.stdout.readline().strip()
        if not twin_line.startswith('pty: '):
            print(json.dumps({'code': 1, 'lines': [], 'stderr': 'sim printed ' + twin_line, 'exit': None, 'twin_exit': twin.wait(30)}))
            sys.exit(0)
        twin_fd = os.open(twin_line[5:], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(twin_fd)

        testbed = UMockdev.Testbed.new()
        testbed.add_from_string(open(first).read())

        station = subprocess.Popen(
            [mlprov, 'station', '--profile', profile, '--ledger', ledger, '--cache', cache,
             '--before', 'no-reset', '--jobs', '1', '--json'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines, errors = [], []
        waiting = threading.Event()


        def drain_stderr():
            for line in station.stderr:
                errors.append(line)
                if 'Waiting for boards' in line:
                    waiting.set()


        threading.Thread(target=drain_stderr, daemon=True).start()
        events = queue.Queue()


        def drain_stdout():
            for line in station.stdout:
                events.put(line)
            events.put(None)


        threading.Thread(target=drain_stdout, daemon=True).start()
        stop_relay = threading.Event()
        relayed = {'to_twin': 0, 'to_station': 0, 'rates': []}


        def relay(master):
            rate = None
            while not stop_relay.is_set():
                # The station's rate first: bytes it wrote after changing the rate go out at the new one.
                current = get_speed(master)
                if current != rate:
                    set_speed(twin_fd, current)
                    rate = current
                    relayed['rates'].append(current)
                ready, _, _ = select.select([master, twin_fd], [], [], 0.005)
                if master in ready:
                    try:
                        data = os.read(master, 4096)
                    except OSError:  # EIO: the station has not opened /dev/ttyUSB0 yet, or closed it
                        time.sleep(0.005)
                        data = b''
                    if data:
                        if get_speed(master) != rate:
                            rate = get_speed(master)
                            set_speed(twin_fd, rate)
                            relayed['rates'].append(rate)
                        os.write(twin_fd, data)
                        relayed['to_twin'] += len(data)
                if twin_fd in ready:
                    try:
                        data = os.read(twin_fd, 4096)
                    except BlockingIOError:
                        data = b''
                    if data:
                        try:
                            os.write(master, data)
                            relayed['to_station'] += len(data)
                        except OSError:
                            pass  # nobody at the station's end: the bytes are lost, as on a cable


        def finish(code):
            if station.poll() is None:
                station.send_signal(signal.SIGINT)
            exit_code = station.wait(120)
            time.sleep(0.2)
            while True:
                try:
                    line = events.get_nowait()
                except queue.Empty:
                    break
                if line and line.strip():
                    lines.append(line.strip())
            stop_relay.set()
            twin.send_signal(signal.SIGTERM)  # the twin writes its flash back at the end
            twin_exit = twin.wait(60)
            print(json.dumps({'code': code, 'lines': lines, 'stderr': ''.join(errors), 'exit': exit_code,
                              'twin_exit': twin_exit, 'relayed': relayed}))
            sys.exit(0)


        # The station has started watching (libusb's hotplug monitor is running).
        if not waiting.wait(120):
            finish(2)
        # The adapter is plugged in: its USB device first, then its tty (as on real hardware).
        testbed.add_from_string(open(usb_part).read())
        testbed.uevent(usb_syspath, 'add')
        time.sleep(0.2)
        testbed.add_from_string(open(tty_part).read())
        master = testbed.get_dev_fd('/dev/ttyUSB0')
        # umockdev passes a client's ioctls on an emulated node to the testbed, whose default
        # handler knows only a few (TIOCEXCL, TIOCMGET… fail with ENOTTY); this handler runs
        # every one of them on the client's real pty instead.
        ioctls = UMockdev.IoctlBase()


        def run_for_real(handler, client):
            result, error = client.execute()
            client.complete(result, error)
            return True


        ioctls.connect('handle-ioctl', run_for_real)
        testbed.attach_ioctl('/dev/ttyUSB0', ioctls)
        if master < 0:
            finish(3)
        tty.setraw(master)  # acts on the slave: no echo before the station configures the line
        threading.Thread(target=relay, args=(master,), daemon=True).start()
        testbed.uevent(tty_syspath, 'add')

        deadline = time.monotonic() + 480
        while time.monotonic() < deadline:
            try:
                line = events.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                finish(4)  # the station ended by itself
            line = line.strip()
            if not line:
                continue
            lines.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get('phase') == 'failed':
                finish(5)
            if event.get('phase') == 'done' and event.get('serial') == serial:
                finish(0)
        finish(6)
        """#

    /// The CP2102 of the discovery tests' bench, its tty declared as 4:64: umockdev's
    /// isatty() only calls an emulated node with major 4 a terminal, and the station opens it.
    static let adapter = MockAdapter(
        tty: "ttyUSB0", port: "1", devnum: 2, vendorID: 0x10C4, productID: 0xEA60, serial: "0001A2B3", driver: "cp210x",
        ttyNumbers: (major: 4, minor: 64))
    static let usbPath = adapter.usbPath
    static let ttyPath = adapter.ttyPath
    static let byPath = "/dev/serial/by-path/" + adapter.byPath
    static let rootHub = MockAdapter.rootHub + "\n"
    static let usbDevice = adapter.usbBlocks.joined(separator: "\n\n") + "\n"
    static let tty = adapter.ttyBlocks.joined(separator: "\n\n") + "\n"

    @Test func anAdapterPluggedInWhileTheStationRunsIsProvisioned() async throws {
        let folder = try temporaryDirectory("station-hotplug")
        defer { try? FileManager.default.removeItem(at: folder) }
        // The relay follows the station's rate anyway; 115200 keeps the loader at one rate.
        let profile = try writeStationProfile(in: folder, count: 2)
        let text = try String(contentsOfFile: profile, encoding: .utf8)
        #expect(text.contains("baud: 921600"))
        try text.replacingOccurrences(of: "baud: 921600", with: "baud: 115200").write(toFile: profile, atomically: true, encoding: .utf8)
        func file(_ name: String, _ contents: String) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let script = try file("driver.py", Self.driver)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let flash = folder.appendingPathComponent("twin-flash.bin").path
        let mac = "18:fe:34:5a:00:63"

        let output = try await runProcess(
            "/usr/bin/env",
            ["LD_PRELOAD=libumockdev-preload.so.0", "/usr/bin/python3", script, mlprovBinary,
             try file("first.umockdev", Self.rootHub), try file("usb.umockdev", Self.usbDevice), try file("tty.umockdev", Self.tty),
             "/sys" + Self.usbPath, "/sys" + Self.ttyPath, flash, mac,
             profile, ledger, folder.appendingPathComponent("cache").path, "3000001"],
            timeout: .seconds(900))
        #expect(output.succeeded, "\(output)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output)")
        let lines = try #require(result["lines"] as? [String], "\(output)")
        let events = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(result["code"] as? Int == 0, "the board reached done (1 not started, 2 no watch, 4 station ended, 5 failed, 6 timeout): \(lines.suffix(4)) \(result["stderr"] ?? "")")

        // The slot came from the arrival: the adapter's by-path name, its tty as the port.
        let arrival = try #require(events.first, "\(output)")
        #expect(arrival["slot"] as? String == Self.byPath)
        #expect(arrival["port"] as? String == "/dev/ttyUSB0")
        #expect(arrival["phase"] as? String == "waiting")
        let done = events.first { $0["phase"] as? String == "done" }
        #expect(done?["serial"] as? String == "3000001", "\(lines.suffix(4))")
        #expect(done?["mac"] as? String == mac)
        #expect(done?["slot"] as? String == Self.byPath)
        #expect(!events.contains { $0["phase"] as? String == "failed" }, "\(lines)")
        #expect(result["exit"] as? Int == 130, "the station stops on SIGINT with 130: \(result["stderr"] ?? "")")
        #expect(lines.last?.contains("\"interrupted\":true") == true)
        #expect(result["twin_exit"] as? Int == 0)

        let store = try KeyStore(path: ledger)
        let rows = try store.assignments()
        #expect(rows.count == 1, "one board, one device")
        let row = try #require(rows.first)
        #expect(row.serial.text == "3000001" && row.board.mac == mac && row.state == .provisioned, "\(row)")

        // The twin wrote its flash back when it stopped: the demo firmware with that serial and key.
        let image = try ESP8266Image(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: flash)).prefix(0x10000)))
        var found: DemoFirmwareConfig?
        for segment in image.segments where found == nil {
            if let match = try? DemoFirmwareConfig.find(in: segment.data) { found = match.config }
        }
        let identity = try #require(found, "demo firmware in the twin's flash")
        #expect(identity.serial == "3000001")
        #expect(identity.key.hex == (try ledgerKeys(ledger))[row.serial.ledgerText], "the board carries its device's key")
    }
}
