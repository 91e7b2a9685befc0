/// One tty whose device hangs below a USB device, as sysfs shows it.
struct USBTTY: Sendable, Hashable {
    /// The tty's name, e.g. `ttyUSB0` or `ttyACM0`.
    var name: String
    /// Its sysfs device folder (for usb-serial drivers the `ttyUSB0` folder holding
    /// `latency_timer`; for cdc_acm the interface folder).
    var deviceDirectory: String
    /// The USB device above it.
    var usb: USBDeviceDirectory
    /// The kernel driver bound to the USB interface ("cp210x", "ch341", "ftdi_sio", "cdc_acm").
    var interfaceDriver: String?

    /// The FTDI `latency_timer` in milliseconds, when the driver has one.
    var latencyTimer: Int? { FileProbe.text(deviceDirectory + "/latency_timer").flatMap { Int($0) } }
}

/// Finds the ttys of USB devices: each `/sys/class/tty/<name>/device` is followed up to
/// the folder with `idVendor` (the USB device); the first folder on the way with
/// `bInterfaceNumber` is the interface, whose `driver` link names the driver.
struct TTYScanner: Sendable {
    var paths: SystemPaths

    func scan() -> [USBTTY] {
        FileProbe.entries(paths.ttyClass).compactMap(tty(named:))
    }

    func tty(named name: String) -> USBTTY? {
        guard let device = FileProbe.resolved(paths.ttyClass + "/" + name + "/device") else { return nil }
        var interface: String?
        var folder = device
        let stop = FileProbe.resolved(paths.sysRoot) ?? paths.sysRoot
        while folder.count > stop.count, folder != "/" {
            if interface == nil, FileProbe.exists(folder + "/bInterfaceNumber") { interface = folder }
            if let usb = USBDeviceDirectory(path: folder) {
                let driver = interface.flatMap { FileProbe.linkTarget($0 + "/driver") }.map(FileProbe.lastComponent)
                return USBTTY(name: name, deviceDirectory: device, usb: usb, interfaceDriver: driver)
            }
            folder = FileProbe.parent(folder)
        }
        return nil
    }
}

/// udev's `/dev/serial/by-path` links: tty name → link path. A link matches a tty when its
/// target's last component is the tty's name (udev writes `../../ttyUSB0`; umockdev an
/// absolute path into its testbed).
struct ByPathLinks: Sendable {
    var paths: SystemPaths

    func scan() -> [String: String] {
        var links: [String: String] = [:]
        for name in FileProbe.entries(paths.serialByPath) {
            let link = paths.serialByPath + "/" + name
            guard let target = FileProbe.linkTarget(link) else { continue }
            let tty = FileProbe.lastComponent(target)
            // Two links to one tty should not happen; keep the first in sorted order.
            if links[tty] == nil { links[tty] = link }
        }
        return links
    }
}
