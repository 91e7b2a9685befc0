import Foundation
@testable import DeviceDiscovery
import TestSupport

/// A fake machine in a temporary folder: sysfs, /dev, /proc and /etc as plain files and
/// relative symlinks laid out the way the kernel and udev lay them out.
struct FakeTree {
    let root: URL
    var paths: SystemPaths { SystemPaths(sysRoot: root.path + "/sys", devRoot: root.path + "/dev", procRoot: root.path + "/proc") }
    /// Prefix for DoctorEnvironment.filesRoot (etc, lib, usr live under it).
    var filesRoot: String { root.path + "/files" }

    init() throws {
        root = try temporaryDirectory("mlprov-faketree")
        for folder in ["sys/class/tty", "sys/bus/usb/devices", "dev/serial/by-path", "proc", "files/etc"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
    }

    func write(_ text: String, _ path: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    func link(_ path: String, to target: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    /// Adds `adapter` as the kernel shows it: the USB device folder with its attributes,
    /// the interface with its driver link, the usb-serial port folder (not for ACM), the
    /// tty class link and its `device` link, the /dev node and udev's relative by-path link.
    func add(_ adapter: MockAdapter) throws {
        let usb = "sys" + adapter.usbPath
        try write(String(format: "%04x", adapter.vendorID), usb + "/idVendor")
        try write(String(format: "%04x", adapter.productID), usb + "/idProduct")
        try write("1", usb + "/busnum")
        try write(String(adapter.devnum), usb + "/devnum")
        if let serial = adapter.serial { try write(serial, usb + "/serial") }
        try write("00", "sys" + adapter.interfacePath + "/bInterfaceNumber")
        try link("sys" + adapter.interfacePath + "/driver", to: "../../../../../../bus/usb/drivers/\(adapter.driver)")
        if !adapter.isACM {
            try write("0", "sys" + adapter.portDevicePath + "/port_number")
            if let latency = adapter.latencyTimer { try write(String(latency), "sys" + adapter.portDevicePath + "/latency_timer") }
        }
        try write("188:0", "sys" + adapter.ttyPath + "/dev")
        try link("sys" + adapter.ttyPath + "/device", to: adapter.isACM ? "../../../\(adapter.usbName):1.0" : "../../../\(adapter.tty)")
        try link("sys/class/tty/\(adapter.tty)", to: "../.." + adapter.ttyPath)
        try link("sys/bus/usb/devices/\(adapter.usbName)", to: "../../.." + adapter.usbPath)
        try write("", "dev/\(adapter.tty)")
        try link("dev/serial/by-path/\(adapter.byPath)", to: "../../\(adapter.tty)")
    }

    /// A process in the fake /proc with `command` and open files (fd number → target).
    func addProcess(pid: Int, command: String, openFiles: [String] = []) throws {
        try write(command, "proc/\(pid)/comm")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("proc/\(pid)/fd"), withIntermediateDirectories: true)
        for (index, target) in openFiles.enumerated() { try link("proc/\(pid)/fd/\(index + 3)", to: target) }
    }
}
