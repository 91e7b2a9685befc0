/// A USB device's place on its bus: what libusb and sysfs (`busnum`, `devnum`) agree on.
public struct USBBusAddress: Sendable, Hashable, Comparable, Codable {
    public var bus: Int
    public var address: Int

    public init(bus: Int, address: Int) {
        self.bus = bus
        self.address = address
    }

    public static func < (a: Self, b: Self) -> Bool { (a.bus, a.address) < (b.bus, b.address) }
}

/// One USB device as an enumerator lists it.
struct USBDevice: Sendable, Hashable {
    var busAddress: USBBusAddress
    var vendorID: UInt16
    var productID: UInt16
    /// The serial number string read from the device itself, when readable.
    var serialNumber: String?
}

/// Lists the USB devices present.
protocol USBDeviceLister: Sendable {
    /// The devices present; `readSerial` says for which the serial number string is wanted
    /// (reading it may mean opening the device).
    func devices(readSerial: (USBBusAddress) -> Bool) throws(DiscoveryError) -> [USBDevice]
}

/// Lists USB devices from sysfs (`/sys/bus/usb/devices/*` with `idVendor`), for a fake tree
/// or where libusb cannot start.
struct SysfsUSBLister: USBDeviceLister {
    var paths: SystemPaths

    func devices(readSerial: (USBBusAddress) -> Bool) throws(DiscoveryError) -> [USBDevice] {
        FileProbe.entries(paths.usbDevices).compactMap { name in
            USBDeviceDirectory(path: paths.usbDevices + "/" + name).map {
                USBDevice(busAddress: $0.busAddress, vendorID: $0.vendorID, productID: $0.productID, serialNumber: nil)
            }
        }
    }
}

/// A USB device's sysfs folder (the one with `idVendor`, `idProduct`, `busnum`, `devnum`).
struct USBDeviceDirectory: Sendable, Hashable {
    var path: String
    var busAddress: USBBusAddress
    var vendorID: UInt16
    var productID: UInt16

    /// Reads the folder; nil when it is not a USB device's folder.
    init?(path: String) {
        guard let vendor = FileProbe.text(path + "/idVendor").flatMap({ UInt16($0, radix: 16) }),
              let product = FileProbe.text(path + "/idProduct").flatMap({ UInt16($0, radix: 16) }),
              let bus = FileProbe.text(path + "/busnum").flatMap({ Int($0) }),
              let address = FileProbe.text(path + "/devnum").flatMap({ Int($0) })
        else { return nil }
        self.path = path
        self.busAddress = USBBusAddress(bus: bus, address: address)
        self.vendorID = vendor
        self.productID = product
    }

    /// The folder of the USB device at `busAddress` among `/sys/bus/usb/devices/*`, nil
    /// when sysfs does not show it.
    static func find(_ busAddress: USBBusAddress, paths: SystemPaths) -> USBDeviceDirectory? {
        for name in FileProbe.entries(paths.usbDevices) {
            if let device = USBDeviceDirectory(path: paths.usbDevices + "/" + name), device.busAddress == busAddress { return device }
        }
        return nil
    }

    /// The kernel's name for the device, e.g. `1-2.3` (bus 1, root port 2, hub port 3):
    /// the same for the same hub slot.
    var location: String { FileProbe.lastComponent(path) }

    /// The `serial` attribute: the serial number string the kernel read at enumeration.
    var serialAttribute: String? { FileProbe.text(path + "/serial").flatMap { $0.isEmpty ? nil : $0 } }
}
