// USB serial adapters for umockdev, shared by the discovery and station tests.

/// A USB serial adapter as an umockdev device description (the `umockdev-record` format:
/// P: sysfs path, N: device node, S: udev link below /dev, E: property, A: attribute,
/// H: binary attribute in hex, L: link), written by hand: the USB device, its interface
/// (with the driver link), for usb-serial drivers the ttyUSB port device, and the tty.
public struct MockAdapter: Sendable {
    public var tty: String                 // "ttyUSB0" or "ttyACM0"
    public var port: String                // hub port chain below root port: "2" or "2.3"
    public var devnum: Int
    public var vendorID: UInt16
    public var productID: UInt16
    public var serial: String?
    public var driver: String              // interface driver: cp210x, ch341, ftdi_sio, cdc_acm
    public var latencyTimer: Int? = nil    // FTDI only
    /// The tty's device numbers when not the driver's (umockdev's isatty() only calls a
    /// node with major 4 a terminal: a test that opens the port declares 4:64).
    public var ttyNumbers: (major: Int, minor: Int)? = nil

    public init(
        tty: String, port: String, devnum: Int, vendorID: UInt16, productID: UInt16, serial: String?, driver: String,
        latencyTimer: Int? = nil, ttyNumbers: (major: Int, minor: Int)? = nil
    ) {
        self.tty = tty
        self.port = port
        self.devnum = devnum
        self.vendorID = vendorID
        self.productID = productID
        self.serial = serial
        self.driver = driver
        self.latencyTimer = latencyTimer
        self.ttyNumbers = ttyNumbers
    }

    /// The kernel's name of the USB device: bus 1, e.g. `1-2.3`.
    public var usbName: String { "1-\(port)" }
    var controller: String { "/devices/pci0000:00/0000:00:14.0/usb1" }
    public var usbPath: String { "\(controller)/\(port.contains(".") ? "1-\(port.split(separator: ".")[0])/" : "")\(usbName)" }
    public var interfacePath: String { "\(usbPath)/\(usbName):1.0" }
    public var isACM: Bool { tty.hasPrefix("ttyACM") }
    public var portDevicePath: String { isACM ? interfacePath : "\(interfacePath)/\(tty)" }
    public var ttyPath: String { "\(portDevicePath)/tty/\(tty)" }
    /// udev's by-path name (60-serial.rules: ID_PATH plus `-port0` for usb-serial ports).
    public var byPath: String { "pci-0000:00:14.0-usb-0:\(port):1.0" + (isACM ? "" : "-port0") }
    public var minor: Int { Int(tty.drop { !$0.isNumber }) ?? 0 }

    /// The device descriptor and one configuration with one vendor-class interface.
    public var descriptors: String {
        func le(_ value: UInt16) -> String { String(format: "%02X%02X", value & 0xFF, value >> 8) }
        return "12010002000000" + "40" + le(vendorID) + le(productID) + "0001" + "0102" + (serial == nil ? "00" : "03") + "01"
            + "0902200001010080320904000002FF0000020705810240000007050102400000"
    }

    /// The blocks for this adapter, child first (as umockdev-record writes them).
    public var blocks: [String] { ttyBlocks + usbBlocks }

    var major: Int { ttyNumbers?.major ?? (isACM ? 166 : 188) }
    var ttyMinor: Int { ttyNumbers?.minor ?? minor }

    /// The tty and, for usb-serial drivers, its port device: what the kernel adds once the
    /// driver has bound (a moment after the USB device).
    public var ttyBlocks: [String] {
        var result: [String] = []
        result.append("""
            P: \(ttyPath)
            N: \(tty)
            S: serial/by-path/\(byPath)
            L: device=../../../\(isACM ? "\(usbName):1.0" : tty)
            E: DEVNAME=/dev/\(tty)
            E: MAJOR=\(major)
            E: MINOR=\(ttyMinor)
            E: SUBSYSTEM=tty
            A: dev=\(major):\(ttyMinor)
            """)
        if !isACM {
            var block = """
                P: \(portDevicePath)
                E: DRIVER=\(driver)
                E: SUBSYSTEM=usb-serial
                A: port_number=0
                L: driver=../../../../../../../bus/usb-serial/drivers/\(driver)
                """
            if let latencyTimer { block += "\nA: latency_timer=\(latencyTimer)" }
            result.append(block)
        }
        return result
    }

    /// The USB interface and device, child first.
    public var usbBlocks: [String] {
        var result: [String] = []
        result.append("""
            P: \(interfacePath)
            E: DEVTYPE=usb_interface
            E: DRIVER=\(driver)
            E: SUBSYSTEM=usb
            A: bInterfaceClass=\(isACM ? "02" : "ff")
            A: bInterfaceNumber=00
            L: driver=../../../../../../bus/usb/drivers/\(driver)
            """)
        var device = """
            P: \(usbPath)
            N: bus/usb/001/\(String(format: "%03d", devnum))=\(descriptors)
            E: BUSNUM=001
            E: DEVNAME=/dev/bus/usb/001/\(String(format: "%03d", devnum))
            E: DEVNUM=\(String(format: "%03d", devnum))
            E: DEVTYPE=usb_device
            E: DRIVER=usb
            E: PRODUCT=\(String(vendorID, radix: 16))/\(String(productID, radix: 16))/100
            E: SUBSYSTEM=usb
            A: busnum=1
            A: devnum=\(devnum)
            A: devpath=\(port)
            A: idVendor=\(String(format: "%04x", vendorID))
            A: idProduct=\(String(format: "%04x", productID))
            A: speed=12
            A: bDeviceClass=00
            A: bNumConfigurations=1
            A: bConfigurationValue=1
            H: descriptors=\(descriptors)
            L: driver=../../../../bus/usb/drivers/usb
            """
        if let serial { device += "\nA: serial=\(serial)" }
        result.append(device)
        return result
    }

    public static let rootHub = """
        P: /devices/pci0000:00/0000:00:14.0/usb1
        N: bus/usb/001/001
        E: BUSNUM=001
        E: DEVNAME=/dev/bus/usb/001/001
        E: DEVNUM=001
        E: DEVTYPE=usb_device
        E: DRIVER=usb
        E: PRODUCT=1d6b/2/606
        E: SUBSYSTEM=usb
        A: busnum=1
        A: devnum=1
        A: devpath=0
        A: idVendor=1d6b
        A: idProduct=0002
        A: speed=480
        A: bDeviceClass=09
        H: descriptors=12010002090001406B1D020006060302010109021900010100E0000904000001090000000705810304000C
        L: driver=../../../bus/usb/drivers/usb

        P: /devices/pci0000:00/0000:00:14.0
        E: DRIVER=xhci_hcd
        E: PCI_CLASS=C0330
        E: SUBSYSTEM=pci
        L: driver=../../../bus/pci/drivers/xhci_hcd
        """

    /// A whole description: the adapters, then the root hub and the host controller.
    public static func description(_ adapters: [MockAdapter], withRootHub: Bool = true) -> String {
        (adapters.flatMap(\.blocks) + (withRootHub ? [rootHub] : [])).joined(separator: "\n\n") + "\n"
    }

    // The bench of the tests: a CP2102 with a serial number, two CH340 without one on two
    // slots of a hub on root port 2, and an FTDI FT232R whose latency_timer is the default 16.
    public static let cp2102 = MockAdapter(tty: "ttyUSB0", port: "1", devnum: 2, vendorID: 0x10C4, productID: 0xEA60, serial: "0001A2B3", driver: "cp210x")
    public static let ch340a = MockAdapter(tty: "ttyUSB1", port: "2.1", devnum: 4, vendorID: 0x1A86, productID: 0x7523, serial: nil, driver: "ch341")
    public static let ch340b = MockAdapter(tty: "ttyUSB2", port: "2.2", devnum: 5, vendorID: 0x1A86, productID: 0x7523, serial: nil, driver: "ch341")
    public static let ft232r = MockAdapter(tty: "ttyUSB3", port: "3", devnum: 6, vendorID: 0x0403, productID: 0x6001, serial: "A50285BI", driver: "ftdi_sio", latencyTimer: 16)
    public static let ch9102 = MockAdapter(tty: "ttyACM0", port: "4", devnum: 7, vendorID: 0x1A86, productID: 0x55D4, serial: "5647012345", driver: "cdc_acm")
}

