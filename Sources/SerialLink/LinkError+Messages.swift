import Basics
#if canImport(Glibc)
import Glibc
#endif

extension LinkError {
    /// What failed and where, in one line.
    public var description: String {
        switch self {
        case .openFailed(let path, let code):
            return "cannot open \(path): \(Self.explain(code))"
        case .busy(let path):
            return "\(path) is in use by another program"
        case .notATerminal(let path):
            return "\(path) is not a serial port (not a terminal device)"
        case .disconnected(let link):
            return "\(link) disconnected"
        case .closed(let link):
            return "\(link) was used after it was closed"
        case .baudRateUnsupported(let link, let baud):
            return "\(link) does not support \(baud) baud"
        case .controlLinesUnsupported(let link):
            return "\(link) cannot drive DTR/RTS"
        case .io(let link, let operation, let code):
            return "\(operation) on \(link) failed: \(Self.explain(code))"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .openFailed(_, let code) where code == ENOENT:
            return "check the port name and that the board is plugged in; USB serial adapters appear as /dev/ttyUSB* or /dev/ttyACM*"
        case .openFailed(_, let code) where code == EACCES || code == EPERM:
            return "add your user to the 'dialout' group (then log in again), or install the udev rules"
        case .openFailed:
            return "check that the device exists and is a serial port, then unplug and replug the adapter"
        case .busy(let path):
            return "close the other program using the port (serial monitor, ModemManager, another mlprov); `fuser \(path)` shows which one"
        case .notATerminal:
            return "pass the device node of a serial adapter, such as /dev/ttyUSB0"
        case .disconnected:
            return "check the USB cable and the adapter, plug the board in again and retry"
        case .closed:
            return "this is a bug in mlprov: the link was closed while still in use; please report it"
        case .baudRateUnsupported:
            return "choose a standard rate such as 115200 or 460800"
        case .controlLinesUnsupported:
            return "reset the board into the bootloader by hand (hold FLASH/GPIO0 low while pressing RESET), or use a reset mode that needs no DTR/RTS"
        case .io:
            return "retry; if it keeps failing, unplug and replug the adapter"
        }
    }

    private static func explain(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
