import Foundation
import Testing
import TestSupport

/// `mlprov ports` against USB serial adapters that umockdev presents: `umockdev-run -d
/// DESCRIPTION -- mlprov …` preloads libumockdev, which redirects /sys and /dev into a
/// testbed built from the hand-written descriptions (MockAdapters.swift), so libusb, sysfs
/// and /dev/serial/by-path all see the fake adapters. No hardware needed.
@Suite("ports under umockdev")
struct PortsUmockdevTests {
    func ports(_ adapters: [MockAdapter], _ extra: [String] = []) async throws -> ProcessOutput {
        var arguments: [String] = []
        if !adapters.isEmpty {
            arguments += ["-d", try writeTemporary(MockAdapter.description(adapters), name: "bench.umockdev")]
        }
        return try await runProcess("/usr/bin/umockdev-run", arguments + ["--", mlprovBinary, "ports"] + extra, timeout: .seconds(120))
    }

    @Test func printsAnEmptyArrayWhenNoAdapterIsPresent() async throws {
        let output = try await ports([], ["--json"])
        #expect(output.succeeded, "\(output)")
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func listsChipSerialDriverAndSlotOfEachAdapter() async throws {
        let bench = [MockAdapter.cp2102, MockAdapter.ch340a, MockAdapter.ch340b, MockAdapter.ft232r, MockAdapter.ch9102]
        let output = try await ports(bench, ["--json"])
        #expect(output.succeeded, "\(output)")
        let listed = try parsePorts(output.stdout)
        #expect(listed.map { $0["device"] as? String } == ["/dev/ttyACM0", "/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2", "/dev/ttyUSB3"])
        let expected: [String: (chip: String, vid: String, pid: String, serial: String?, driver: String, slot: String, location: String)] = [
            "/dev/ttyUSB0": ("CP210x", "10c4", "ea60", "0001A2B3", "cp210x", "pci-0000:00:14.0-usb-0:1:1.0-port0", "1-1"),
            "/dev/ttyUSB1": ("CH340", "1a86", "7523", nil, "ch341", "pci-0000:00:14.0-usb-0:2.1:1.0-port0", "1-2.1"),
            "/dev/ttyUSB2": ("CH340", "1a86", "7523", nil, "ch341", "pci-0000:00:14.0-usb-0:2.2:1.0-port0", "1-2.2"),
            "/dev/ttyUSB3": ("FTDI FT232R", "0403", "6001", "A50285BI", "ftdi_sio", "pci-0000:00:14.0-usb-0:3:1.0-port0", "1-3"),
            "/dev/ttyACM0": ("CH9102", "1a86", "55d4", "5647012345", "cdc_acm", "pci-0000:00:14.0-usb-0:4:1.0", "1-4"),
        ]
        for port in listed {
            let device = try #require(port["device"] as? String)
            let want = try #require(expected[device])
            #expect(port["chip"] as? String == want.chip, "\(device)")
            #expect(port["vid"] as? String == want.vid, "\(device)")
            #expect(port["pid"] as? String == want.pid, "\(device)")
            #expect(port["serial"] as? String == want.serial, "\(device)")
            if want.serial == nil { #expect(port["serial"] is NSNull, "\(device): serial must be null, not absent") }
            #expect(port["driver"] as? String == want.driver, "\(device)")
            #expect(port["by_path"] as? String == "/dev/serial/by-path/" + want.slot, "\(device)")
            #expect(port["usb_location"] as? String == want.location, "\(device)")
            #expect(port["busy"] as? Bool == false, "\(device)")
        }
    }

    @Test func marksAPortAnotherProcessHoldsAsBusy() async throws {
        let description = try writeTemporary(MockAdapter.description([.cp2102, .ch340a]), name: "bench.umockdev")
        // The shell holds ttyUSB1 open on descriptor 3 while mlprov lists the ports.
        let output = try await runProcess(
            "/usr/bin/umockdev-run", ["-d", description, "--", "/bin/sh", "-c", "exec 3</dev/ttyUSB1; \"$0\" ports --json; exec 3<&-", mlprovBinary],
            timeout: .seconds(120))
        #expect(output.succeeded, "\(output)")
        let busy = try parsePorts(output.stdout).map { ($0["device"] as? String ?? "?", $0["busy"] as? Bool) }
        #expect(busy.map(\.0) == ["/dev/ttyUSB0", "/dev/ttyUSB1"])
        #expect(busy.map(\.1) == [false, true])
    }

    @Test func textListingNamesEachAdapter() async throws {
        let output = try await ports([.cp2102, .ch340a])
        #expect(output.succeeded, "\(output)")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("/dev/ttyUSB0  CP210x  10c4:ea60  serial 0001A2B3  driver cp210x") == true, "\(lines)")
        #expect(lines.last?.contains("no serial") == true, "\(lines)")
    }

    @Test func doctorReportsFTDILatencyAndTheHolderOfAPort() async throws {
        let description = try writeTemporary(MockAdapter.description([.ft232r]), name: "bench.umockdev")
        let output = try await runProcess(
            "/usr/bin/umockdev-run", ["-d", description, "--", "/bin/sh", "-c", "exec 3</dev/ttyUSB3; \"$0\" doctor --json", mlprovBinary],
            timeout: .seconds(120))
        // The held port fails the doctor: exit 1.
        #expect(output.exitCode == 1, "\(output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        let findings = try #require(report["findings"] as? [[String: Any]])
        let latency = try #require(findings.first { $0["check"] as? String == "ftdi-latency" })
        #expect(latency["status"] as? String == "warn")
        #expect((latency["message"] as? String)?.contains("16 ms") == true)
        let inUse = try #require(findings.first { $0["check"] as? String == "port-in-use" })
        #expect(inUse["status"] as? String == "fail")
        #expect((inUse["message"] as? String)?.contains("sh (pid ") == true, "\(inUse)")
    }
}
