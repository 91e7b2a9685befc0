/// Arrivals and removals of USB serial adapters as an `AsyncStream<AdapterEvent>`.
///
/// With libusb hotplug (the normal case on Linux) each USB arrival is mapped to its ttys;
/// the tty node can appear a moment after the USB device, so the mapping is retried for up
/// to `ttyWait`. A removal is reported for every tty that USB device had. Without hotplug
/// support (or on a fake tree) the adapters are listed every `pollInterval` and compared.
/// Adapters present when watching starts are reported first as arrivals when
/// `includeExisting` is set.
public struct AdapterWatcher: Sendable {
    /// How long an arrived USB device may take to get its tty.
    public static let ttyWait: Duration = .seconds(2)
    /// How often the tty is looked for meanwhile.
    static let ttyRetry: Duration = .milliseconds(50)
    /// Polling period when libusb cannot report hotplug.
    public static let pollInterval: Duration = .seconds(1)

    public enum Mode: Sendable {
        /// libusb hotplug on the real system paths, else polling.
        case automatic
        case polling
    }

    public var paths: SystemPaths
    public var includeExisting: Bool
    public var mode: Mode

    public init(paths: SystemPaths = .system, includeExisting: Bool = true, mode: Mode = .automatic) {
        self.paths = paths
        self.includeExisting = includeExisting
        self.mode = mode
    }

    /// Starts watching. Ending the consuming loop (or cancelling its task) stops the watch.
    public func events() throws(DiscoveryError) -> AsyncStream<AdapterEvent> {
        let discovery = AdapterDiscovery(paths: paths)
        let (stream, continuation) = AsyncStream<AdapterEvent>.makeStream()
        let monitor: LibUSBHotplugMonitor? =
            if mode == .automatic, paths.isSystem, LibUSBContext.hasHotplug { try LibUSBHotplugMonitor() } else { nil }
        // Listed after the monitor started, so nothing plugged in meanwhile is missed;
        // the monitor's own report of such a device is then dropped as already known.
        let existing = try discovery.adapters()
        let includeExisting = includeExisting
        let task = Task {
            var known = AdapterSet(existing)
            if includeExisting { for adapter in existing { continuation.yield(.arrived(adapter)) } }
            if let monitor {
                await follow(monitor.events, discovery: discovery, known: &known, into: continuation)
            } else {
                await poll(discovery: discovery, known: &known, into: continuation)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            task.cancel()
            monitor?.stop()
        }
        return stream
    }

    private func follow(
        _ usbEvents: AsyncStream<USBHotplugEvent>, discovery: AdapterDiscovery, known: inout AdapterSet,
        into continuation: AsyncStream<AdapterEvent>.Continuation
    ) async {
        for await event in usbEvents {
            switch event {
            case .arrived(let busAddress):
                let deadline = ContinuousClock.now + Self.ttyWait
                var found: [SerialAdapter] = []
                while !Task.isCancelled {
                    found = (try? discovery.adapters(at: busAddress)) ?? []
                    if !found.isEmpty || ContinuousClock.now >= deadline { break }
                    try? await Task.sleep(for: Self.ttyRetry)
                }
                for adapter in found where known.insert(adapter) { continuation.yield(.arrived(adapter)) }
            case .left(let busAddress):
                for path in known.remove(at: busAddress) { continuation.yield(.removed(devicePath: path)) }
            }
        }
    }

    private func poll(discovery: AdapterDiscovery, known: inout AdapterSet, into continuation: AsyncStream<AdapterEvent>.Continuation) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.pollInterval)
            guard !Task.isCancelled, let now = try? discovery.adapters() else { continue }
            let present = Set(now.map(\.devicePath))
            for path in known.paths where !present.contains(path) {
                known.remove(path: path)
                continuation.yield(.removed(devicePath: path))
            }
            for adapter in now where known.insert(adapter) { continuation.yield(.arrived(adapter)) }
        }
    }
}

/// The adapters reported as present, by device path.
struct AdapterSet {
    private var byPath: [String: SerialAdapter] = [:]

    init(_ adapters: [SerialAdapter]) {
        for adapter in adapters { byPath[adapter.devicePath] = adapter }
    }

    var paths: [String] { byPath.keys.sorted(by: DevicePathOrder.less) }

    /// Adds `adapter`; false when its device path is already known.
    mutating func insert(_ adapter: SerialAdapter) -> Bool {
        guard byPath[adapter.devicePath] == nil else { return false }
        byPath[adapter.devicePath] = adapter
        return true
    }

    mutating func remove(path: String) {
        byPath[path] = nil
    }

    /// Removes and returns the device paths of the USB device at `busAddress`.
    mutating func remove(at busAddress: USBBusAddress) -> [String] {
        let gone = byPath.values.filter { $0.busAddress == busAddress }.map(\.devicePath).sorted(by: DevicePathOrder.less)
        for path in gone { byPath[path] = nil }
        return gone
    }
}
