/// Where DeviceDiscovery looks for the kernel's and udev's view of the machine.
///
/// The real machine uses `/sys`, `/dev` and `/proc`; tests point these at a fake tree (or
/// run under umockdev, which redirects the real paths).
public struct SystemPaths: Sendable, Hashable {
    /// sysfs, normally `/sys`.
    public var sysRoot: String
    /// Device nodes and udev's links, normally `/dev`.
    public var devRoot: String
    /// procfs, normally `/proc` (open files of other processes).
    public var procRoot: String

    public init(sysRoot: String = "/sys", devRoot: String = "/dev", procRoot: String = "/proc") {
        self.sysRoot = sysRoot
        self.devRoot = devRoot
        self.procRoot = procRoot
    }

    /// The running system's paths.
    public static let system = SystemPaths()

    /// True when these are the real system paths (then libusb, which reads the real
    /// sysfs, can be asked too).
    public var isSystem: Bool { self == .system }

    /// `/sys/class/tty`.
    var ttyClass: String { sysRoot + "/class/tty" }
    /// `/sys/bus/usb/devices`.
    var usbDevices: String { sysRoot + "/bus/usb/devices" }
    /// `/dev/serial/by-path`.
    var serialByPath: String { devRoot + "/serial/by-path" }
}
