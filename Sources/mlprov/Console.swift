import Basics
import ESPImage
import ArgumentParser
import ESPFlasher
import Foundation
import SerialLink
import Synchronization

/// Where the command line speaks: results on standard output, progress and errors on
/// standard error; a progress bar when standard error is a terminal, plain lines otherwise.
final class Console: Sendable {
    let isTerminal = isatty(STDERR_FILENO) == 1
    /// The progress output's state; writes happen with it locked, so lines never interleave.
    private let state = Mutex(ProgressState())

    private struct ProgressState {
        var lastPercent: [String: Int] = [:]
        var barVisible = false

        /// Draws the bar.
        mutating func drawBar(_ part: String, percent: Int) {
            let width = 30
            let filled = width * percent / 100
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(part) \(bar) \(percent)% ".utf8))
            barVisible = true
            if percent == 100 { endBar() }
        }

        /// Ends a drawn bar's line.
        mutating func endBar() {
            if barVisible {
                FileHandle.standardError.write(Data("\n".utf8))
                barVisible = false
            }
        }
    }

    func info(_ line: String) {
        state.withLock { state in
            state.endBar()
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func result(_ line: String) {
        state.withLock { state in
            state.endBar()
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    /// Prints `value` as one line of JSON on standard output.
    func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        result(String(decoding: data, as: UTF8.self))
    }

    /// Renders one flash job event.
    func render(_ event: FlashEvent) {
        switch event {
        case .connecting(let attempt, let of):
            if attempt == 1 { info("Connecting…") } else { info("Connecting… (attempt \(attempt) of \(of))") }
        case .connected(let chip):
            info("Connected to \(chip.chip), MAC \(chip.mac), chip id \(hex(chip.chipID))")
        case .stubStarted:
            info("Flasher stub running: compressed writes, each part verified by MD5")
        case .stubFallback:
            info("The flasher stub did not start; carrying on with the ROM loader alone")
        case .erasing(let part, let range):
            info("Erasing \(hex(range.lowerBound))–\(hex(range.upperBound - 1)) for \(part)")
        case .writing(let part, let written, let total):
            progress(part, written: written, total: total)
        case .retrying(let part, let offset, let reason):
            info("Retrying the block of \(part) at \(hex(offset)): \(reason)")
        case .partWritten(let part, let offset, let bytes, let seconds):
            info("Wrote \(part): \(bytes) bytes at \(hex(offset)) in \(String(format: "%.2f", seconds)) s (\(Int(Double(bytes) * 8 / max(seconds, 0.001) / 1000)) kbit/s)")
        case .finished(let action):
            switch action {
            case .hardReset: info("Hard reset: the board runs its firmware")
            case .run: info("Left the loader: the board runs its firmware")
            case .noReset: info("Staying in the ROM loader")
            }
        }
    }

    private func progress(_ part: String, written: Int, total: Int) {
        let percent = total == 0 ? 100 : written * 100 / total
        let step = percent / 25 * 25
        let announce: Bool = state.withLock { state in
            if isTerminal {
                state.drawBar(part, percent: percent)
                return false
            }
            guard step > state.lastPercent[part, default: -1] else { return false }
            state.lastPercent[part] = step
            return true
        }
        if announce { info("Writing \(part): \(step)%") }
    }

    /// Reports `error` (what failed and what to try) and ends the command with exit code 1.
    func fail(_ error: any ReportableError, json: Bool) -> ExitCode {
        fail(error.description, help: error.help, json: json)
    }

    /// Reports a failure (message and what to try) and ends the command with exit code 1.
    func fail(_ message: String, help: String?, json: Bool) -> ExitCode {
        if json { self.json(FailureReport(error: message, help: help)) }
        info("error: \(message)")
        if let help { info("help: \(help)") }
        return ExitCode(1)
    }
}

struct FailureReport: Encodable {
    var ok = false
    var error: String
    var help: String?
}

