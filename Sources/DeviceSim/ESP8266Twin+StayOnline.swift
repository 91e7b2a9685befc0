import Basics
import Foundation
import MQTT

extension ESP8266Twin {
    /// What `stayOnline` does, for the caller to show.
    public enum OnlineEvent: Sendable {
        /// Online at the broker as the booted firmware's device.
        case online(host: String, port: Int, identity: FirmwareIdentity)
        /// The broker could not be reached; another try follows after `retryIn`.
        case cannotConnect(host: String, port: Int, error: TwinMQTTError, retryIn: Duration)
    }

    /// Waits for a booted firmware to report its identity, then keeps the twin online at
    /// `host:port` with it (again after each new boot with another identity, retrying an
    /// unreachable broker every 2 s) until the calling task is cancelled.
    ///
    /// Moved unchanged from `mlprov sim --online`; it is the twin's own model, not yet the
    /// real board's. A real MeterLogger goes online only after its meter answered and its
    /// wifi joined, logs in with its saved configuration's MQTT user (by default the
    /// compiled esp8266 login), subscribes after 2 s and publishes start-up messages first
    /// (docs/meterlogger-firmware.md, "Login and start-up"); modelling that is
    /// issue 12's work. The 2 s retry is the twin's, not the firmware's reconnect timing.
    public func stayOnline(
        broker host: String, port: Int, settings: TwinMQTTSettings, events: @Sendable (OnlineEvent) -> Void = { _ in }
    ) async {
        let retry = Duration.seconds(2)
        var client: TwinMQTTClient?
        var current: FirmwareIdentity?
        while !Task.isCancelled {
            if let identity = firmwareIdentity, identity != current {
                await client?.stop()
                client = nil
                do {
                    client = try await goOnline(broker: host, port: port, settings: settings)
                    current = identity
                    events(.online(host: host, port: port, identity: identity))
                } catch {
                    events(.cannotConnect(host: host, port: port, error: error, retryIn: retry))
                    try? await Task.sleep(for: retry)
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        await client?.stop()
    }
}

extension FaultPlan.LineFault {
    /// A fault as `mlprov sim --fault` writes it: `flip@N`, `drop@N` or `pull@N` (received
    /// byte N).
    public init(parsing text: String) throws(FaultSyntaxError) {
        let pieces = text.split(separator: "@")
        guard pieces.count == 2, let index = Int(pieces[1]), index >= 0 else { throw FaultSyntaxError(text: text, problem: .shape) }
        switch pieces[0] {
        case "flip": self = .flipByte(at: index)
        case "drop": self = .dropByte(at: index)
        case "pull": self = .pullCable(at: index)
        default: throw FaultSyntaxError(text: text, problem: .kind)
        }
    }
}

/// A line fault written wrong.
public struct FaultSyntaxError: ReportableError, Equatable {
    public enum Problem: Sendable, Equatable {
        /// Not KIND@N with N a byte index.
        case shape
        /// KIND is not flip, drop or pull.
        case kind
    }

    public let text: String
    public let problem: Problem

    public init(text: String, problem: Problem) {
        self.text = text
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .shape: "--fault '\(text)' is not KIND@N (flip@N, drop@N, pull@N)"
        case .kind: "--fault '\(text)': the kind must be flip, drop or pull"
        }
    }

    public var help: String? { "e.g. --fault flip@1200 flips the lowest bit of received byte 1200" }
}
