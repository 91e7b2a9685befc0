import Foundation
import Subprocess
import Testing
@testable import DeviceDiscovery
import TestSupport
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Discovery on a fake tree: the same sysfs walk, but with udev's relative by-path links
/// (umockdev writes absolute ones) and a fake /proc.
@Suite("discovery on a fake sysfs tree")
struct FakeTreeDiscoveryTests {
    @Test func mapsEachTTYToItsUSBDeviceDriverAndRelativeByPathLink() throws {
        let tree = try FakeTree()
        for adapter in [MockAdapter.cp2102, .ch340a, .ch9102] { try tree.add(adapter) }
        let adapters = try AdapterDiscovery(paths: tree.paths, enumeration: .sysfs).adapters()
        #expect(adapters.map(\.devicePath) == ["ttyACM0", "ttyUSB0", "ttyUSB1"].map { tree.paths.devRoot + "/" + $0 })
        let byName = Dictionary(uniqueKeysWithValues: adapters.map { (FileProbe.lastComponent($0.devicePath), $0) })
        #expect(byName["ttyUSB0"]?.chip == "CP210x")
        #expect(byName["ttyUSB0"]?.serialNumber == "0001A2B3")
        #expect(byName["ttyUSB1"]?.serialNumber == nil)
        #expect(byName["ttyUSB1"]?.driver == "ch341")
        #expect(byName["ttyUSB1"]?.byPath == tree.paths.devRoot + "/serial/by-path/pci-0000:00:14.0-usb-0:2.1:1.0-port0")
        #expect(byName["ttyUSB1"]?.usbLocation == "1-2.1")
        #expect(byName["ttyUSB1"]?.busAddress == USBBusAddress(bus: 1, address: 4))
        #expect(byName["ttyACM0"]?.chip == "CH9102")
        #expect(byName["ttyACM0"]?.driver == "cdc_acm")
    }

    @Test func ignoresTTYsWithoutAUSBDevice() throws {
        let tree = try FakeTree()
        try tree.write("4:64", "sys/devices/platform/serial8250/tty/ttyS0/dev")
        try tree.link("sys/devices/platform/serial8250/tty/ttyS0/device", to: "../../../serial8250")
        try tree.link("sys/class/tty/ttyS0", to: "../../devices/platform/serial8250/tty/ttyS0")
        try tree.add(.cp2102)
        let adapters = try AdapterDiscovery(paths: tree.paths, enumeration: .sysfs).adapters()
        #expect(adapters.map { FileProbe.lastComponent($0.devicePath) } == ["ttyUSB0"])
    }

    @Test func emptyTreeHasNoAdapters() throws {
        let tree = try FakeTree()
        #expect(try AdapterDiscovery(paths: tree.paths, enumeration: .sysfs).adapters().isEmpty)
    }

    @Test func busyComesFromAnotherProcessesOpenFileInProc() throws {
        let tree = try FakeTree()
        try tree.add(.cp2102)
        try tree.add(.ch340a)
        try tree.addProcess(pid: 4242, command: "screen", openFiles: [tree.paths.devRoot + "/ttyUSB1"])
        try tree.addProcess(pid: 77, command: "bash", openFiles: ["/dev/null"])
        let adapters = try AdapterDiscovery(paths: tree.paths, enumeration: .sysfs).adapters()
        #expect(adapters.map(\.busy) == [false, true])
        let holders = PortHolders(paths: tree.paths).holders(of: adapters.map(\.devicePath))
        #expect(holders[tree.paths.devRoot + "/ttyUSB1"] == [PortHolder(pid: 4242, command: "screen")])
    }

    @Test func realProcShowsAChildHoldingAPortFile() async throws {
        let tree = try FakeTree()
        try tree.add(.cp2102)
        let port = tree.paths.devRoot + "/ttyUSB0"
        let scanner = PortHolders(paths: SystemPaths(sysRoot: tree.paths.sysRoot, devRoot: tree.paths.devRoot, procRoot: "/proc"))
        let result = try await Subprocess.run(
            .path(FilePath("/bin/sh")), arguments: ["-c", "exec sleep 60 < \"$0\"", port],
            input: .none, output: .discarded, error: .discarded
        ) { execution in
            var found: [PortHolder] = []
            for _ in 0..<200 {
                found = scanner.holders(of: [port])[port] ?? []
                if !found.isEmpty { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try execution.send(signal: .kill)
            return found
        }
        #expect(result.closureResult.map(\.command) == ["sleep"])
        #expect(result.closureResult.first?.pid == result.processIdentifier.value)
        // This process itself is never reported.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: port))
        defer { try? handle.close() }
        #expect(scanner.holders(of: [port]).isEmpty)
    }

    @Test func pollingWatcherReportsArrivalAndRemovalOnce() async throws {
        let tree = try FakeTree()
        try tree.add(.cp2102)
        let stream = try AdapterWatcher(paths: tree.paths, includeExisting: true, mode: .polling).events()
        var events = stream.makeAsyncIterator()
        #expect(await events.next() == .arrived(try #require(try AdapterDiscovery(paths: tree.paths).adapters().first)))
        try tree.add(.ch340a)
        let arrival = await events.next()
        guard case .arrived(let adapter) = arrival else { Issue.record("expected an arrival, got \(String(describing: arrival))"); return }
        #expect(adapter.devicePath == tree.paths.devRoot + "/ttyUSB1")
        try FileManager.default.removeItem(atPath: tree.paths.sysRoot + "/class/tty/ttyUSB1")
        #expect(await events.next() == .removed(devicePath: tree.paths.devRoot + "/ttyUSB1"))
    }
}

@Suite("adapter chips table")
struct AdapterChipsTests {
    @Test func knowsTheFactsTablesAdapters() {
        #expect(AdapterChips.chip(vendorID: 0x10C4, productID: 0xEA60)?.name == "CP210x")
        #expect(AdapterChips.chip(vendorID: 0x1A86, productID: 0x7523)?.name == "CH340")
        #expect(AdapterChips.chip(vendorID: 0x0403, productID: 0x6015)?.name == "FTDI FT-X")
        #expect(AdapterChips.chip(vendorID: 0x067B, productID: 0x2303)?.name == "PL2303")
        #expect(AdapterChips.chip(vendorID: 0x1234, productID: 0x5678) == nil)
        #expect(Set(AdapterChips.table.map { "\($0.vendorID):\($0.productID)" }).count == AdapterChips.table.count)
    }

    @Test func ordersDevicePathsByNumber() {
        #expect(["/dev/ttyUSB10", "/dev/ttyUSB2", "/dev/ttyACM0"].sorted(by: DevicePathOrder.less) == ["/dev/ttyACM0", "/dev/ttyUSB2", "/dev/ttyUSB10"])
    }
}
