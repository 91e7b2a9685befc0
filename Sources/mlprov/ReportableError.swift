import ESPFlasher
import ESPImage
import FirmwareBuild
import MeterLogger
import Provisioning
import SerialLink

/// A library error the command line renders as "error: <description>" and "help: <help>".
protocol ReportableError: Error, CustomStringConvertible {
    var helpText: String? { get }
}

/// A failure found by the command line itself: a file it cannot read, say.
struct CommandFailure: ReportableError {
    var message: String
    var helpText: String?
    init(message: String, help: String?) {
        self.message = message
        self.helpText = help
    }
    var description: String { message }
}

extension FlasherError: ReportableError { var helpText: String? { help } }
extension LinkError: ReportableError { var helpText: String? { help } }
extension BuildError: ReportableError { var helpText: String? { help } }
extension ELFError: ReportableError { var helpText: String? { help } }
extension ELF2ImageError: ReportableError { var helpText: String? { help } }
extension MergeBinError: ReportableError { var helpText: String? { help } }
extension ManifestError: ReportableError { var helpText: String? { help } }
extension ImageError: ReportableError {
    var helpText: String? { "is this an ESP8266 boot image (0x00000.bin)? Its first byte must be 0xe9" }
}
extension ProfileError: ReportableError { var helpText: String? { help } }
extension KeyStoreError: ReportableError { var helpText: String? { help } }
extension MessageCryptoError: ReportableError { var helpText: String? { help } }
extension CredentialsError: ReportableError { var helpText: String? { help } }
extension WifiSetupInputError: ReportableError { var helpText: String? { help } }
extension WifiSetupError: ReportableError { var helpText: String? { help } }
extension WifiJoinError: ReportableError { var helpText: String? { help } }
