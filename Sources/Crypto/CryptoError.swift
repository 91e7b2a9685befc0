import Basics
import COpenSSL

/// A libcrypto call that failed (or was given what it cannot take), with OpenSSL's reason.
/// Never contains a key, an IV or data.
public struct CryptoError: ReportableError, Equatable {
    /// What was being done: "SHA-256", "HMAC-SHA256", "AES-128-CBC", "random bytes".
    public let operation: String
    public let reason: String

    public var description: String { "\(operation): \(reason)" }
    public var help: String? { "check that libcrypto (OpenSSL 3) is installed and working" }

    /// `operation` failed in `call`, with the reason OpenSSL queued (per thread).
    static func failed(_ operation: String, in call: String) -> CryptoError {
        CryptoError(operation: operation, reason: "\(call): \(lastError())")
    }

    /// The oldest queued reason; the rest of the queue is cleared, so that it cannot show
    /// up as the reason of a later failure.
    private static func lastError() -> String {
        let code = ERR_get_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return "no reason given" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
