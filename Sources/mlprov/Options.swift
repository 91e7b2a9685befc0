import ArgumentParser
import ESPFlasher
import ESPImage
import MeterLogger
import Provisioning
import Station

/// How to reach the board: port, rate, reset before and after.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Serial port of the board, e.g. /dev/ttyUSB0 or a twin's /dev/pts/N.")
    var port: String

    @Option(name: [.short, .long], help: """
        Line rate (default 115200, or the profile's). The ESP8266 ROM measures the rate from \
        the first SYNC, so rates up to 921600 work directly when the adapter and wiring allow.
        """)
    var baud: Int?

    /// The rate when none is given and no profile names one.
    static let defaultBaud = 115_200

    @Option(help: "How to enter the ROM loader: classic, unix-tight, or no-reset (board already in the loader).")
    var before: ResetStrategy = .classic

    @Option(help: "How to leave the board: hard-reset, run (FLASH_END into the firmware), or no-reset.")
    var after: AfterAction = .hardReset

    @Option(help: "Reset-and-sync attempts before giving up.")
    var connectAttempts: Int = LoaderSession.defaultConnectAttempts

    @Flag(help: """
        Write through the ROM loader alone, without uploading mlprov's flasher stub (which         sends compressed parts and verifies each by MD5).
        """)
    var noStub = false

    /// The stub writes go through, nil with --no-stub.
    var stub: FlasherStub? { noStub ? nil : .mlprov }

    /// How the pipeline talks to the board: these options, the rate defaulting to the
    /// profile's.
    func loader(profile: InstallationProfile?) -> LoaderSettings {
        LoaderSettings(baud: baud ?? profile?.flash.baud ?? Self.defaultBaud, reset: before, attempts: connectAttempts, stub: stub)
    }
}

extension ResetStrategy: ExpressibleByArgument {}
extension AfterAction: ExpressibleByArgument {}

/// The installation profile a command works from.
struct ProfileOptions: ParsableArguments {
    @Option(help: "Installation profile (YAML), e.g. profiles/demo-twin.yaml.")
    var profile: String

    func load() throws(ProfileError) -> InstallationProfile {
        try InstallationProfile.load(path: profile)
    }
}

/// The image header settings written into the image at offset 0 (esptool's flags).
struct FlashSettingsOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .long], help: "Flash mode: qio, qout, dio, dout, or keep. MeterLogger uses dout.")
    var flashMode: String = "keep"

    @Option(name: [.customShort("s"), .long], help: "Flash size: 256KB, 512KB, 1MB, 2MB, 4MB, 2MB-c1, 4MB-c1, 8MB, 16MB, or keep (then 1MB is assumed for bounds).")
    var flashSize: String = "keep"

    @Option(name: [.customShort("f"), .long], help: "Flash frequency: 40m, 26m, 20m, 80m, or keep.")
    var flashFreq: String = "keep"

    func parameters() throws -> FlashParameters {
        FlashParameters(
            mode: try parse(flashMode, FlashMode.init(name:), "--flash-mode", FlashMode.allCases.map(\.name)),
            size: try parse(flashSize, FlashSize.init(name:), "--flash-size", FlashSize.allCases.map(\.name)),
            frequency: try parse(flashFreq, FlashFrequency.init(name:), "--flash-freq", FlashFrequency.allCases.map(\.name)))
    }

    /// The flash size for bounds checks: the one given, else MeterLogger's 1 MB.
    func sizeForBounds() throws -> FlashSize {
        try parameters().size ?? .size1MB
    }

    private func parse<T>(_ text: String, _ make: (String) -> T?, _ flag: String, _ allowed: [String]) throws -> T? {
        if text == "keep" { return nil }
        guard let value = make(text) else {
            throw ValidationError("\(flag) '\(text)' is not one of: \((allowed + ["keep"]).joined(separator: ", "))")
        }
        return value
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON on standard output (progress stays on standard error).")
    var json = false
}

/// Parses a flash offset or size: 0x-prefixed hex or decimal, optional k/M suffix.
func parseNumber(_ text: String, what: String) throws -> Int {
    var body = text.lowercased()
    var scale = 1
    if body.hasSuffix("k") { scale = 1024; body.removeLast() } else if body.hasSuffix("m") { scale = 1 << 20; body.removeLast() }
    let value = body.hasPrefix("0x") ? Int(body.dropFirst(2), radix: 16) : Int(body)
    guard let value, value >= 0 else { throw ValidationError("\(what) '\(text)' is not a number (use 0x10000 or 65536)") }
    return value * scale
}

/// How long commissioning waits for a board's replies (mlprov commission, station --commission).
struct CommissioningTimeoutOptions: ParsableArguments {
    @Option(help: "Seconds to wait for each reply.")
    var replyTimeout: Double = 10

    @Option(help: "Seconds to wait for the first sample (boards publish about once a minute).")
    var sampleTimeout: Double = 120

    func validate() throws {
        guard replyTimeout > 0, sampleTimeout > 0 else { throw ValidationError("timeouts must be more than 0 seconds") }
    }

    var options: CommissioningOptions {
        CommissioningOptions(replyTimeout: .milliseconds(Int(replyTimeout * 1000)), sampleTimeout: .milliseconds(Int(sampleTimeout * 1000)))
    }
}
