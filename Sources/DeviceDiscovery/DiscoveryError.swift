import Basics
/// What enumeration, hotplug and the udev rules installer can fail with. Each case says
/// what failed and where; `help` says what to try next.
public enum DiscoveryError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// libusb could not start (`libusb_init`), with libusb's error name.
    case libusbUnavailable(reason: String)
    /// libusb could not list the USB devices.
    case enumerationFailed(reason: String)
    /// A hotplug callback could not be registered.
    case hotplugFailed(reason: String)
    /// Writing the udev rules needs root and we are not root.
    case needsRoot(action: String, command: String)
    /// A file could not be written.
    case writeFailed(path: String, reason: String)
    /// A helper program (udevadm) failed or is missing.
    case commandFailed(command: String, reason: String)

    public var description: String {
        switch self {
        case .libusbUnavailable(let reason): "libusb could not start: \(reason)"
        case .enumerationFailed(let reason): "listing the USB devices failed: \(reason)"
        case .hotplugFailed(let reason): "watching for USB adapters failed: \(reason)"
        case .needsRoot(let action, _): "\(action) needs root"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        case .commandFailed(let command, let reason): "`\(command)` failed: \(reason)"
        }
    }

    /// What the user can try next.
    public var help: String? {
        switch self {
        case .libusbUnavailable, .enumerationFailed:
            "check that /sys is mounted and libusb-1.0 is installed (apt install libusb-1.0-0)"
        case .hotplugFailed:
            "run `mlprov ports` again to list the adapters present now; plug adapters in one at a time"
        case .needsRoot(_, let command):
            "run it as root: \(command)  (or pass --rules-dir DIR to write the file somewhere you may write)"
        case .writeFailed:
            "check that the folder exists and that you may write to it"
        case .commandFailed(let command, _):
            "run `\(command)` yourself to see why; on systems without udev (containers) pass --no-reload"
        }
    }
}
