// A USB serial adapter as the station and `mlprov ports` see it.
// (Shared vocabulary of DeviceDiscovery; enumeration and hotplug live beside it.)

/// One USB serial adapter with its tty.
public struct SerialAdapter: Sendable, Hashable, Codable {
    /// The tty device, e.g. `/dev/ttyUSB0`.
    public var devicePath: String
    /// The stable name for the physical hub slot, e.g.
    /// `/dev/serial/by-path/pci-0000:00:14.0-usb-0:2.3:1.0-port0`, when udev made one.
    public var byPath: String?
    public var vendorID: UInt16
    public var productID: UInt16
    /// The adapter chip from the VID:PID table ("CP210x", "CH340", "FTDI FT232R", …), nil when unknown.
    public var chip: String?
    /// The USB serial number string, when the adapter has one.
    public var serialNumber: String?
    /// The kernel driver bound to the tty's interface ("cp210x", "ch341", "ftdi_sio", …).
    public var driver: String?
    /// True when another process holds the port open or locked.
    public var busy: Bool
    /// The kernel's name for the USB device, e.g. `1-2.3` (bus 1, root port 2, hub port 3):
    /// like `byPath`, the same for the same hub slot, and known also where udev made no links.
    public var usbLocation: String?
    /// The USB device's bus number and address (changes on every plug-in).
    public var busAddress: USBBusAddress?

    public init(
        devicePath: String, byPath: String? = nil, vendorID: UInt16, productID: UInt16, chip: String? = nil,
        serialNumber: String? = nil, driver: String? = nil, busy: Bool = false,
        usbLocation: String? = nil, busAddress: USBBusAddress? = nil
    ) {
        self.devicePath = devicePath
        self.byPath = byPath
        self.vendorID = vendorID
        self.productID = productID
        self.chip = chip
        self.serialNumber = serialNumber
        self.driver = driver
        self.busy = busy
        self.usbLocation = usbLocation
        self.busAddress = busAddress
    }
}

/// A hotplug change.
public enum AdapterEvent: Sendable, Hashable {
    case arrived(SerialAdapter)
    case removed(devicePath: String)
}
