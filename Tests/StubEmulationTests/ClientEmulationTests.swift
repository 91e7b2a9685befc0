import ESPFlasher
import ESPImage
import MeterLogger
import Foundation
import SerialLink
import Testing
import TestSupport

extension StubEmulation {
    /// mlprov's real client and esptool against the real stub on an emulated LX106. In the
    /// loader runs the fake ROM plays the serial loader, so mlprov uploads its embedded stub
    /// (Sources/ESPFlasher/FlasherStub+Image.swift) exactly as to a board.
    @Suite("The stub on an emulated LX106: clients")
    struct ClientEmulationTests {
        static let prefill: UInt8 = 0x5A

        /// A MeterLogger-like set: a boot image at 0 and a larger, partly compressible program.
        static func plan() throws -> FlashPlan {
            var random = SplitMix64(seed: 0xC0FFEE)
            let boot = [0x00] + random.bytes(0x6FFF)
            let program = (0..<300_000).map { index -> UInt8 in index % 7 == 0 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(index / 977 & 0xFF) }
            return try FlashPlan(
                parts: [FlashPart(name: "0x00000.bin", offset: 0, bytes: boot), FlashPart(name: "0x10000.bin", offset: 0x1_0000, bytes: program)],
                flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        }

        @Test("mlprov's client: sync, chip info, upload through the ROM loader, OHAI, compressed writes with MD5 and the saved-configuration digest, ERASE_REGION, CHANGE_BAUDRATE to the boot-log rate and RUN_USER_CODE into the ROM's flash boot")
        func mlprovClientEndToEnd() async throws {
            let build = try await Emulator.build()
            let plan = try Self.plan()
            let (events, run) = try await Emulator.run(build, mode: .loader, flashSize: FlashSize.size1MB.bytes, fill: Self.prefill, endsByItself: true) { path in
                let port = try SerialPort(path: path)
                defer { port.close() }
                let session = LoaderSession(link: port)
                try session.connect(reset: .none)
                #expect(!session.syncAnsweredByStub, "the ROM loader answers first")
                let chip = try session.readChipInfo()
                #expect(chip.mac.description.lowercased() == "18:fe:34:12:34:56")
                try session.startStub(.mlprov)
                #expect(session.runningStub == .mlprov, "the uploaded stub greeted with OHAI")

                var events: [FlashEvent] = []
                try session.write(plan) { events.append($0) }
                for operation in plan.operations {
                    let part = operation.part
                    #expect(try session.flashMD5(offset: part.offset, size: part.bytes.count) == md5Digest(part.bytes), "\(part.name) reads back")
                }
                let configuration = FlashLayout.meterLoggerConfiguration
                #expect(try session.flashMD5(offset: configuration.lowerBound, size: configuration.count)
                        == md5Digest([UInt8](repeating: Self.prefill, count: configuration.count)), "the saved configuration is untouched")

                // The stub's own erase command, then the erased sectors read back as 0xFF.
                try session.command(.eraseRegion(offset: 0x9_0000, size: 0x2000))
                #expect(try session.flashMD5(offset: 0x9_0000, size: 0x2000) == md5Digest([UInt8](repeating: 0xFF, count: 0x2000)))
                #expect(try session.flashMD5(offset: 0x9_2000, size: 0x1000) == md5Digest([UInt8](repeating: Self.prefill, count: 0x1000)))

                // Leaving: CHANGE_BAUDRATE to 74880 (answered at the old rate), RUN_USER_CODE at the new one.
                let (action, _) = try session.finishCapturingBootLog(.run)
                #expect(action == .run)
                return events
            }
            run.expectClean(.flashBoot)
            #expect(run.number("clkdiv") == (451 * 115_200 + 37_440) / 74_880, "CHANGE_BAUDRATE scaled the autobaud divider to 74880")
            #expect(run.number("loader_commands") > 3, "the ROM loader took SYNC, READ_REG and MEM_*")
            #expect(!events.contains { if case .retrying = $0 { true } else { false } }, "no block was retried: \(events)")
            let written = events.compactMap { if case .partWritten(let part, _, _, _) = $0 { part } else { nil } }
            #expect(written == plan.operations.map(\.part.name))
            #expect(run.number("unerased_bytes") == 0 && run.number("flash_bytes_written") >= 0x7000 + 300_000)
        }

        @Test("mlprov's client: FLASH_END-free exit, RUN_USER_CODE at the line's rate returns into the ROM's flash boot")
        func runUserCode() async throws {
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build, mode: .loader, endsByItself: true) { path in
                let port = try SerialPort(path: path)
                defer { port.close() }
                let session = LoaderSession(link: port)
                try session.connect(reset: .none)
                try session.startStub(.mlprov)
                #expect(try session.finish(.run) == .run)
            }
            run.expectClean(.flashBoot)
        }

        @Test("mlprov write-flash (the command line) through the ROM loader and its stub, leaving with --after run")
        func mlprovWriteFlashCommand() async throws {
            let build = try await Emulator.build()
            let folder = try temporaryDirectory("mlprov-emu-cli")
            defer { try? FileManager.default.removeItem(at: folder) }
            let plan = try Self.plan()
            var files: [String] = []
            for operation in plan.operations {
                let file = folder.appendingPathComponent(operation.part.name)
                try Data(operation.part.bytes).write(to: file)
                files += ["0x\(String(operation.part.offset, radix: 16))", file.path]
            }
            let arguments = ["write-flash", "--before", "no-reset", "--after", "run", "--flash-size", "1MB", "--flash-mode", "keep"] + files
            let (output, run) = try await Emulator.run(build, mode: .loader, flashSize: FlashSize.size1MB.bytes, fill: Self.prefill, endsByItself: true) { path in
                blockingRun(mlprovBinary, ["write-flash", "--port", path] + arguments.dropFirst())
            }
            #expect(output.exitCode == 0, "\(output)")
            run.expectClean(.flashBoot)
            #expect(run.number("flash_bytes_written") >= 0x7000 + 300_000 && run.number("loader_commands") > 3)
        }

        @Test("mlprov erase-region against a stub left running (an earlier --after no-reset): the region must read back erased")
        func eraseRegionThroughARunningStub() async throws {
            let build = try await Emulator.build()
            let ((erase, digest), run) = try await Emulator.run(build, fill: Self.prefill) { path in
                let erase = blockingRun(mlprovBinary, ["erase-region", "--port", path, "--before", "no-reset", "--after", "no-reset", "0x90000", "0x1000"])
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                try client.send(0x13, le32(0x9_0000) + le32(0x1000) + le32(0) + le32(0))
                return (erase, try client.reply(0x13).data)
            }
            #expect(erase.exitCode == 0, "\(erase)")
            run.expectClean(.eof)
            // Found here: LoaderSession.erase sent the ROM's FLASH_BEGIN without data, which a
            // stub (ours as esptool's) takes as the start of a write and erases nothing for;
            // it now sends ERASE_REGION when SYNC was answered by a stub.
            #expect(digest == md5Digest([UInt8](repeating: 0xFF, count: 0x1000)), "\(run)")
            #expect(run.number("sector_erases") + run.number("block_erases") > 0)
        }

        @Test("esptool 5.6.0's stub path against the running stub: write-flash of 500 KB with verification, verify-flash, read-flash, erase-region")
        func esptoolPeer() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: esptoolBinary), "scripts/setup installs esptool into .venv")
            let build = try await Emulator.build()
            let folder = try temporaryDirectory("mlprov-emu-esptool")
            defer { try? FileManager.default.removeItem(at: folder) }
            var random = SplitMix64(seed: 42)
            let image = random.bytes(500_000)
            let input = folder.appendingPathComponent("image.bin"), readBack = folder.appendingPathComponent("read.bin")
            try Data(image).write(to: input)
            let (outputs, run) = try await Emulator.run(build, flashSize: 0x40_0000, timeout: .seconds(300)) { path in
                let common = ["--port", path, "--baud", "115200", "--before", "no-reset", "--after", "no-reset-stub"]
                return [
                    blockingRun(esptoolBinary, common + ["write-flash", "0x10000", input.path]),
                    blockingRun(esptoolBinary, common + ["verify-flash", "0x10000", input.path]),
                    blockingRun(esptoolBinary, common + ["read-flash", "0x10000", "0x20000", readBack.path]),
                    blockingRun(esptoolBinary, common + ["erase-region", "0x20000", "0x1000"]),
                    blockingRun(esptoolBinary, common + ["read-flash", "0x20000", "0x1000", readBack.path + ".erased"]),
                ]
            }
            for output in outputs { #expect(output.exitCode == 0, "\(output)") }
            #expect(outputs.first?.stdout.contains("Stub flasher is already running") == true, "\(outputs.first?.stdout ?? "")")
            #expect(outputs.first?.stdout.contains("Hash of data verified") == true)
            #expect(try Data(contentsOf: readBack) == Data(image[..<0x20000]))
            #expect(try Data(contentsOf: URL(fileURLWithPath: readBack.path + ".erased")) == Data(repeating: 0xFF, count: 0x1000))
            run.expectClean(.eof)
        }
    }
}

/// What a peer run from blocking code left behind.
struct PeerOutput: Sendable, CustomStringConvertible {
    var exitCode: Int32?
    var stdout: String
    var description: String { "exit \(exitCode.map(String.init) ?? "by signal"): \(stdout.suffix(3000))" }
}

/// Runs a program to completion from blocking code (swift-subprocess on a detached task;
/// the caller is a thread of its own, see `onThread`).
func blockingRun(_ executable: String, _ arguments: [String]) -> PeerOutput {
    let box = OutputBox()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            let output = try await runProcess(executable, arguments, timeout: .seconds(240))
            box.value = PeerOutput(exitCode: output.exitCode, stdout: output.stdout + output.stderr)
        } catch {
            box.value = PeerOutput(exitCode: nil, stdout: "\(error)")
        }
        done.signal()
    }
    done.wait()
    return box.value
}

private final class OutputBox: @unchecked Sendable {
    var value = PeerOutput(exitCode: nil, stdout: "")
}
