import ArgumentParser
import Basics
import MeterLogger

/// `mlprov derive`: the names and keys a board's SERIAL and KEY give away.
struct DeriveCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive",
        abstract: "Show the setup SSID, AP password and MQTT keys derived from a serial and KEY.",
        discussion: """
            The setup access point's SSID is KAM_<serial> (EL_<serial> for impulse meters); \
            its WPA password is the first 16 hex characters of KEY; SHA-256 over the 16 raw \
            KEY bytes gives the AES-128 key (first half) and the HMAC-SHA256 key (second half) \
            of the board's MQTT messages. The secrets are printed only with --show-secrets.

            Examples:
              mlprov derive --serial 9999999 --key-file keys/9999999.key
              mlprov derive --serial 9999999 --key ef500c9268cf749016d26d6cbfaaf7bf --show-secrets --json
            """)

    @Option(help: "The meter's serial (make variable SERIAL), e.g. 9999999.")
    var serial: String

    @OptionGroup var key: KeyInputOptions

    @Option(help: "The meter kind: kmp, mc66c, mc66b or impulse (impulse meters' SSID is EL_<serial>).")
    var meter: String = MeterKind.kmp.rawValue

    @Flag(help: "Also print the AP password and the AES and HMAC keys (hex). Keep the output out of logs.")
    var showSecrets = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try key.validate()
        guard MeterKind(rawValue: meter) != nil else {
            throw ValidationError("--meter '\(meter)' is not one of: \(MeterKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let serial = try Credentials.parseSerial(serial)
        let credentials = Credentials(serial: serial, key: try key.load(), meter: MeterKind(rawValue: meter) ?? .kmp)
        let secrets = showSecrets ? DeriveReport.Secrets(credentials) : nil
        if output.json {
            console.json(DeriveReport(serial: serial.text, ssid: credentials.ssid, secrets: secrets))
        } else {
            console.result("ssid: \(credentials.ssid)")
            if let secrets {
                console.result("ap_password: \(secrets.apPassword)")
                console.result("aes_key: \(secrets.aesKey)")
                console.result("hmac_key: \(secrets.hmacKey)")
            }
        }
        if secrets == nil {
            console.info("The AP password and the AES and HMAC keys are hidden: add --show-secrets to print them.")
        }
    }
}

struct DeriveReport: Encodable {
    var ok = true
    var serial: String
    var ssid: String
    var secrets: Secrets?

    struct Secrets {
        var apPassword: String
        var aesKey: String
        var hmacKey: String

        init(_ credentials: Credentials) {
            apPassword = credentials.apPassword
            aesKey = hexString(credentials.messageKeys.aesKey)
            hmacKey = hexString(credentials.messageKeys.hmacKey)
        }
    }

    enum CodingKeys: String, CodingKey {
        case ok, serial, ssid, apPassword = "ap_password", aesKey = "aes_key", hmacKey = "hmac_key"
    }

    /// One flat object; the secret keys are absent (not null) when hidden.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(serial, forKey: .serial)
        try container.encode(ssid, forKey: .ssid)
        if let secrets {
            try container.encode(secrets.apPassword, forKey: .apPassword)
            try container.encode(secrets.aesKey, forKey: .aesKey)
            try container.encode(secrets.hmacKey, forKey: .hmacKey)
        }
    }
}

/// Where a debug command gets a device's KEY: a private file, or (test vectors only) the
/// command line. Shared by `derive`, `mqtt seal` and `mqtt open`.
struct KeyInputOptions: ParsableArguments {
    @Option(name: .customLong("key-file"), help: """
        A file holding the device's KEY (32 hex characters); it must be private to you \
        (chmod 600), like a profile's wifi password file.
        """)
    var keyFile: String?

    @Option(name: .customLong("key"), help: """
        The device's KEY as 32 hex characters, for test vectors such as the README's example \
        key: a key on the command line shows in the process list and the shell history, so \
        use --key-file for real devices.
        """)
    var keyText: String?

    func validate() throws {
        switch (keyFile, keyText) {
        case (nil, nil): throw ValidationError("give the device's KEY with --key-file FILE (or --key HEX for test vectors)")
        case (.some, .some): throw ValidationError("give the key either with --key-file or with --key, not both")
        default: break
        }
    }

    /// The key, or an error naming the field (never the key).
    func load() throws(CredentialsError) -> DeviceKey {
        if let keyFile { return try Credentials.readKey(file: keyFile) }
        return try Credentials.parseKey(keyText ?? "", source: "--key")
    }
}

