/// The USB serial adapter chips found on ESP8266 boards and programming cables, by USB
/// vendor and product ID.
///
/// Source: docs/usb-serial.md ("Adapters used for ESP8266 boards"),
/// which follows the kernel drivers' ID tables (cp210x, ch341, cdc_acm, ftdi_sio, pl2303).
/// udev/70-mlprov-uaccess.rules and udev/99-mlprov.rules have one rule per row; a test
/// keeps them in step.
public struct AdapterChip: Sendable, Hashable {
    public var vendorID: UInt16
    public var productID: UInt16
    /// The chip's name as `mlprov ports` shows it.
    public var name: String
    /// The kernel driver normally bound to it.
    public var driver: String
    /// Whether the chip usually reports a USB serial number string.
    public var hasSerialNumber: SerialNumberPresence

    public enum SerialNumberPresence: String, Sendable, Hashable {
        case usually, sometimes, no
    }
}

public enum AdapterChips {
    /// One row per VID:PID.
    public static let table: [AdapterChip] = [
        AdapterChip(vendorID: 0x10C4, productID: 0xEA60, name: "CP210x", driver: "cp210x", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x10C4, productID: 0xEA70, name: "CP210x", driver: "cp210x", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x10C4, productID: 0xEA71, name: "CP210x", driver: "cp210x", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x1A86, productID: 0x7523, name: "CH340", driver: "ch341", hasSerialNumber: .no),
        AdapterChip(vendorID: 0x1A86, productID: 0x55D3, name: "CH343", driver: "cdc_acm", hasSerialNumber: .sometimes),
        AdapterChip(vendorID: 0x1A86, productID: 0x55D4, name: "CH9102", driver: "cdc_acm", hasSerialNumber: .sometimes),
        AdapterChip(vendorID: 0x0403, productID: 0x6001, name: "FTDI FT232R", driver: "ftdi_sio", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x0403, productID: 0x6010, name: "FTDI FT2232", driver: "ftdi_sio", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x0403, productID: 0x6011, name: "FTDI FT4232", driver: "ftdi_sio", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x0403, productID: 0x6014, name: "FTDI FT232H", driver: "ftdi_sio", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x0403, productID: 0x6015, name: "FTDI FT-X", driver: "ftdi_sio", hasSerialNumber: .usually),
        AdapterChip(vendorID: 0x067B, productID: 0x2303, name: "PL2303", driver: "pl2303", hasSerialNumber: .no),
    ]

    /// FTDI's USB vendor ID: its adapters have a `latency_timer` to lower.
    public static let ftdiVendorID: UInt16 = 0x0403
    /// WCH's USB vendor ID (CH34x, CH9102).
    public static let wchVendorID: UInt16 = 0x1A86

    /// The chip for a VID:PID, nil when it is not in the table.
    public static func chip(vendorID: UInt16, productID: UInt16) -> AdapterChip? {
        table.first { $0.vendorID == vendorID && $0.productID == productID }
    }

    /// True for the CH340/CH341, which brltty claims and which had the ch341 sync regression.
    public static func isCH34x(vendorID: UInt16, productID: UInt16) -> Bool {
        vendorID == wchVendorID && productID == 0x7523
    }
}

/// `0x10c4` as `10c4`: USB IDs as lsusb and udev print them.
public func usbIDText(_ id: UInt16) -> String {
    let digits = String(id, radix: 16)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
