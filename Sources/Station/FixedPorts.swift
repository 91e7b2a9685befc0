import DeviceDiscovery
import Foundation

/// A board source for ports given on the command line (`--ports`): each port arrives at
/// start. With `watch`, the ports are then watched: a port whose device node goes away is
/// removed, and arrives again when it comes back (a board re-plugged on the same adapter);
/// without it the stream ends after the arrivals, so a station run ends when its boards do.
public enum FixedPorts {
    /// How often watched ports are looked at.
    public static let pollInterval: Duration = .milliseconds(500)

    public static func events(_ ports: [String], watch: Bool) -> AsyncStream<AdapterEvent> {
        AsyncStream { continuation in
            // Watched ports arrive when their device node exists (now or later); without
            // watching, every port arrives at once (a missing one fails visibly).
            var present: Set<String> = []
            for port in ports where !watch || FileManager.default.fileExists(atPath: port) {
                continuation.yield(.arrived(adapter(port)))
                present.insert(port)
            }
            guard watch else {
                continuation.finish()
                return
            }
            let task = Task {
                var seen = present
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    for port in ports {
                        let exists = FileManager.default.fileExists(atPath: port)
                        if exists, !seen.contains(port) {
                            seen.insert(port)
                            continuation.yield(.arrived(adapter(port)))
                        } else if !exists, seen.contains(port) {
                            seen.remove(port)
                            continuation.yield(.removed(devicePath: port))
                        }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A port given by path: its slot is the path as given (a /dev/serial/by-path name
    /// stays the same for the same hub slot).
    static func adapter(_ port: String) -> SerialAdapter {
        SerialAdapter(devicePath: port, byPath: port.hasPrefix("/dev/serial/by-path/") ? port : nil, vendorID: 0, productID: 0)
    }
}
