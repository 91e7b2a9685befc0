import Basics
import ArgumentParser
import DeviceDiscovery
import Foundation

struct PortsCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "ports",
        abstract: "List USB serial adapters: chip, serial number, hub slot, driver, busy.",
        discussion: """
            Lists every USB serial adapter (ttyUSB*, ttyACM*) with its chip from the VID:PID \
            table, its USB serial number (CH340 and PL2303 have none: tell them apart by slot), \
            its /dev/serial/by-path name and USB location (the same for the same hub slot), \
            the driver bound to it, and whether another process holds it open. Ports are not \
            opened (opening can reset a board).

            With --watch, adapters present now and every later arrival or removal are printed \
            as they happen, until Ctrl-C; so is a known adapter chip whose tty does not appear \
            within --tty-wait seconds (no driver, or brltty took it).

            Examples:
              mlprov ports
              mlprov ports --json            # a JSON array, [] when no adapter is present
              mlprov ports --watch --json    # one JSON object per line: {"event":"arrived",…}
            """)

    @OptionGroup var output: OutputOptions

    @Flag(help: "Keep running and print adapters as they are plugged in and pulled out.")
    var watch = false

    @Option(help: "With --watch: seconds a plugged-in adapter may take to get its tty before it is reported as having none.")
    var ttyWait: Double = Double(AdapterWatcher.defaultTTYWait.components.seconds)

    func validate() throws {
        guard ttyWait > 0, ttyWait <= 3600 else { throw ValidationError("--tty-wait must be between 0 and 3600 seconds") }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        if watch {
            try await watchPorts(console)
            return
        }
        let adapters = try AdapterDiscovery().adapters()
        if output.json {
            console.json(adapters.map(PortReport.init))
        } else if adapters.isEmpty {
            console.info("No USB serial adapter found.")
        } else {
            for line in PortTable.lines(adapters) { console.result(line) }
        }
    }

    private func watchPorts(_ console: Console) async throws {
        let stream = try AdapterWatcher(ttyWait: .milliseconds(Int64(ttyWait * 1000))).watch()
        if !output.json { console.info("Watching for USB serial adapters; Ctrl-C to stop.") }
        let json = output.json
        let ttyWait = ttyWait
        let task = Task {
            for await event in stream {
                if json {
                    console.json(PortEventReport(event))
                } else {
                    switch event {
                    case .adapter(.arrived(let adapter)): console.result("+ " + PortTable.describe(adapter))
                    case .adapter(.removed(let path)): console.result("- \(path)")
                    case .noTTY(let location, let vendorID, let productID):
                        console.result("! " + PortTable.describeNoTTY(usbLocation: location, vendorID: vendorID, productID: productID, wait: ttyWait))
                    }
                }
            }
        }
        // The stream only ends when cancelled: run until SIGINT or SIGTERM.
        _ = await SignalCatcher([SIGINT, SIGTERM]).wait()
        task.cancel()
        await task.value
    }
}

/// The plain-text rendering of adapters.
enum PortTable {
    static func lines(_ adapters: [SerialAdapter]) -> [String] {
        adapters.map(describe)
    }

    static func describe(_ adapter: SerialAdapter) -> String {
        var parts = [adapter.devicePath, adapter.chip ?? "unknown chip", "\(usbIDText(adapter.vendorID)):\(usbIDText(adapter.productID))"]
        parts.append(adapter.serialNumber.map { "serial \($0)" } ?? "no serial")
        if let driver = adapter.driver { parts.append("driver \(driver)") }
        if let slot = adapter.byPath ?? adapter.usbLocation.map({ "usb \($0)" }) { parts.append(slot) }
        if adapter.busy { parts.append("BUSY") }
        return parts.joined(separator: "  ")
    }

    /// A known adapter chip that got no tty.
    static func describeNoTTY(usbLocation: String?, vendorID: UInt16, productID: UInt16, wait: Double) -> String {
        let chip = AdapterChips.chip(vendorID: vendorID, productID: productID)?.name ?? "USB device"
        let place = usbLocation.map { " at usb \($0)" } ?? ""
        let seconds = wait == wait.rounded() ? String(Int(wait)) : String(wait)
        return "\(chip) \(usbIDText(vendorID)):\(usbIDText(productID))\(place) got no tty within \(seconds) s"
            + "  (driver not loaded, or brltty took it: see `dmesg | tail` and `mlprov doctor`)"
    }
}

/// One adapter in `ports --json`. Absent values are `null`, so every object has every key.
struct PortReport: Encodable {
    var adapter: SerialAdapter

    init(_ adapter: SerialAdapter) { self.adapter = adapter }

    enum CodingKeys: String, CodingKey {
        case device, byPath = "by_path", vid, pid, chip, serial, driver, busy, usbLocation = "usb_location"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(adapter.devicePath, forKey: .device)
        try container.encode(adapter.byPath, forKey: .byPath)
        try container.encode(usbIDText(adapter.vendorID), forKey: .vid)
        try container.encode(usbIDText(adapter.productID), forKey: .pid)
        try container.encode(adapter.chip, forKey: .chip)
        try container.encode(adapter.serialNumber, forKey: .serial)
        try container.encode(adapter.driver, forKey: .driver)
        try container.encode(adapter.busy, forKey: .busy)
        try container.encode(adapter.usbLocation, forKey: .usbLocation)
    }
}

/// One line of `ports --watch --json`: `event` is `arrived`, `removed` or `no_tty`;
/// `device` is the tty (null for `no_tty`), `port` the adapter (arrivals only); `no_tty`
/// has `usb_location`, `vid`, `pid` and `chip`.
struct PortEventReport: Encodable {
    var event: AdapterWatchEvent

    init(_ event: AdapterWatchEvent) { self.event = event }

    enum CodingKeys: String, CodingKey {
        case event, port, device, usbLocation = "usb_location", vid, pid, chip
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch event {
        case .adapter(.arrived(let adapter)):
            try container.encode("arrived", forKey: .event)
            try container.encode(PortReport(adapter), forKey: .port)
            try container.encode(adapter.devicePath, forKey: .device)
        case .adapter(.removed(let path)):
            try container.encode("removed", forKey: .event)
            try container.encode(path, forKey: .device)
        case .noTTY(let location, let vendorID, let productID):
            try container.encode("no_tty", forKey: .event)
            try container.encodeNil(forKey: .device)
            try container.encode(location, forKey: .usbLocation)
            try container.encode(usbIDText(vendorID), forKey: .vid)
            try container.encode(usbIDText(productID), forKey: .pid)
            try container.encode(AdapterChips.chip(vendorID: vendorID, productID: productID)?.name, forKey: .chip)
        }
    }
}

