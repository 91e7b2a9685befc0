/// Lists the USB serial adapters present: USB devices from libusb (or sysfs for a fake
/// tree), each mapped through sysfs to its ttys, its `/dev/serial/by-path` link, its driver
/// and chip, and whether a process holds it.
public struct AdapterDiscovery: Sendable {
    /// Where the USB device list comes from.
    public enum Enumeration: Sendable {
        /// libusb on the real system paths, sysfs otherwise or when libusb cannot start.
        case automatic
        case libusb
        case sysfs
    }

    public var paths: SystemPaths
    public var enumeration: Enumeration

    public init(paths: SystemPaths = .system, enumeration: Enumeration = .automatic) {
        self.paths = paths
        self.enumeration = enumeration
    }

    /// The adapters present now, sorted by device path (ttyUSB2 before ttyUSB10).
    public func adapters() throws(DiscoveryError) -> [SerialAdapter] {
        let ttys = TTYScanner(paths: paths).scan()
        guard !ttys.isEmpty else { return [] }
        let withTTY = Set(ttys.map(\.usb.busAddress))
        let devices = try lister().devices { withTTY.contains($0) }
        let byAddress = Dictionary(devices.map { ($0.busAddress, $0) }, uniquingKeysWith: { first, _ in first })
        let links = ByPathLinks(paths: paths).scan()
        let devicePaths = ttys.map { paths.devRoot + "/" + $0.name }
        let holders = PortHolders(paths: paths).holders(of: devicePaths)
        return ttys.compactMap { tty -> SerialAdapter? in
            guard let device = byAddress[tty.usb.busAddress] else { return nil }
            let devicePath = paths.devRoot + "/" + tty.name
            return SerialAdapter(
                devicePath: devicePath, byPath: links[tty.name], vendorID: device.vendorID, productID: device.productID,
                chip: AdapterChips.chip(vendorID: device.vendorID, productID: device.productID)?.name,
                serialNumber: device.serialNumber ?? tty.usb.serialAttribute, driver: tty.interfaceDriver,
                busy: holders[devicePath] != nil, usbLocation: tty.usb.location, busAddress: tty.usb.busAddress)
        }.sorted { DevicePathOrder.less($0.devicePath, $1.devicePath) }
    }

    /// The adapters of one USB device (a multi-port FTDI has several).
    public func adapters(at busAddress: USBBusAddress) throws(DiscoveryError) -> [SerialAdapter] {
        try adapters().filter { $0.busAddress == busAddress }
    }

    func lister() throws(DiscoveryError) -> any USBDeviceLister {
        switch enumeration {
        case .sysfs: return SysfsUSBLister(paths: paths)
        case .libusb: return LibUSBLister()
        case .automatic:
            guard paths.isSystem else { return SysfsUSBLister(paths: paths) }
            return (try? LibUSBContext.shared.get()) != nil ? LibUSBLister() : SysfsUSBLister(paths: paths)
        }
    }
}

/// Orders device paths by name, then number: `/dev/ttyUSB2` before `/dev/ttyUSB10`.
enum DevicePathOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        let (aStem, aNumber) = split(a)
        let (bStem, bNumber) = split(b)
        if aStem != bStem { return aStem < bStem }
        return aNumber < bNumber
    }

    private static func split(_ path: String) -> (String, Int) {
        let digits = path.reversed().prefix { $0.isNumber }
        return (String(path.dropLast(digits.count)), Int(String(digits.reversed())) ?? -1)
    }
}

