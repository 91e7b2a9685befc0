import CLibUSB

/// Owns one libusb context. libusb contexts are thread-safe, hence `@unchecked Sendable`.
///
/// The process uses one context for its whole life (`shared`): libusb 1.0.26 makes the
/// first context the implicit default and, once that is freed, a later context's
/// enumeration used freed memory here (a crash under umockdev); one context avoids it.
final class LibUSBContext: @unchecked Sendable {
    let handle: OpaquePointer

    /// The process's context, created on first use.
    static let shared: Result<LibUSBContext, DiscoveryError> = Result { () throws(DiscoveryError) in try LibUSBContext() }

    private init() throws(DiscoveryError) {
        var context: OpaquePointer?
        let status = libusb_init(&context)
        guard status == 0, let context else { throw .libusbUnavailable(reason: libusbErrorName(status)) }
        handle = context
    }

    deinit {
        libusb_exit(handle)
    }

    /// Whether this libusb can report arrivals and removals (on Linux: udev or netlink).
    static var hasHotplug: Bool { libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 }
}

/// libusb's name for an error code (`LIBUSB_ERROR_ACCESS`, …).
func libusbErrorName(_ code: Int32) -> String {
    guard let name = libusb_error_name(code) else { return "libusb error \(code)" }
    return String(cString: name)
}

/// Lists USB devices with libusb; reads the serial number string from the device where
/// it may be opened.
struct LibUSBLister: USBDeviceLister {
    func devices(readSerial: (USBBusAddress) -> Bool) throws(DiscoveryError) -> [USBDevice] {
        let context = try LibUSBContext.shared.get()
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context.handle, &list)
        guard count >= 0, let list else { throw .enumerationFailed(reason: libusbErrorName(Int32(count))) }
        defer { libusb_free_device_list(list, 1) }
        var devices: [USBDevice] = []
        for index in 0..<count {
            guard let device = list[index] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0 else { continue }
            let busAddress = USBBusAddress(bus: Int(libusb_get_bus_number(device)), address: Int(libusb_get_device_address(device)))
            let serial = descriptor.iSerialNumber != 0 && readSerial(busAddress)
                ? Self.serialNumber(device, index: descriptor.iSerialNumber) : nil
            devices.append(USBDevice(busAddress: busAddress, vendorID: descriptor.idVendor, productID: descriptor.idProduct, serialNumber: serial))
        }
        return devices
    }

    /// The serial number string descriptor; nil when the device cannot be opened (no
    /// permission on /dev/bus/usb) or does not answer.
    static func serialNumber(_ device: OpaquePointer, index: UInt8) -> String? {
        var handle: OpaquePointer?
        guard libusb_open(device, &handle) == 0, let handle else { return nil }
        defer { libusb_close(handle) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
        guard length > 0 else { return nil }
        let text = FileProbe.trimmed(String(decoding: buffer[..<Int(length)], as: UTF8.self))
        return text.isEmpty ? nil : text
    }
}
