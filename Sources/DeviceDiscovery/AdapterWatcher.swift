/// Arrivals and removals of USB serial adapters as an `AsyncStream`.
///
/// With libusb hotplug (the normal case on Linux) each USB arrival is mapped to its ttys;
/// the tty node can appear a moment after the USB device, so the mapping is retried for up
/// to `ttyWait`, for each arrived device in a task of its own: removals and other arrivals
/// are reported meanwhile. A known adapter chip whose tty never appears is reported by
/// `watch()` as `.noTTY`. A removal is reported for every tty that USB device had. Without
/// hotplug support (or on a fake tree) the adapters are listed every `pollInterval` and
/// compared. Adapters present when watching starts are reported first as arrivals when
/// `includeExisting` is set.
public struct AdapterWatcher: Sendable {
    /// How long an arrived USB device may take to get its tty, by default.
    public static let defaultTTYWait: Duration = .seconds(2)
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
    /// How long an arrived USB device may take to get its tty.
    public var ttyWait: Duration

    public init(paths: SystemPaths = .system, includeExisting: Bool = true, mode: Mode = .automatic, ttyWait: Duration = defaultTTYWait) {
        self.paths = paths
        self.includeExisting = includeExisting
        self.mode = mode
        self.ttyWait = ttyWait
    }

    /// Starts watching: arrivals and removals only. Ending the consuming loop (or
    /// cancelling its task) stops the watch.
    public func events() throws(DiscoveryError) -> AsyncStream<AdapterEvent> {
        try stream { $0.adapterEvent }
    }

    /// Starts watching: arrivals, removals and the problems seen on the way (`.noTTY`).
    /// Ending the consuming loop (or cancelling its task) stops the watch.
    public func watch() throws(DiscoveryError) -> AsyncStream<AdapterWatchEvent> {
        try stream { $0 }
    }

    private func stream<Element: Sendable>(
        _ transform: @escaping @Sendable (AdapterWatchEvent) -> Element?
    ) throws(DiscoveryError) -> AsyncStream<Element> {
        let discovery = AdapterDiscovery(paths: paths)
        let (stream, continuation) = AsyncStream<Element>.makeStream()
        let emit: @Sendable (AdapterWatchEvent) -> Void = { event in
            if let element = transform(event) { continuation.yield(element) }
        }
        let monitor: LibUSBHotplugMonitor? =
            if mode == .automatic, paths.isSystem, LibUSBContext.hasHotplug { try LibUSBHotplugMonitor() } else { nil }
        // Listed after the monitor started, so nothing plugged in meanwhile is missed;
        // the monitor's own report of such a device is then dropped as already known.
        let existing = try discovery.adapters()
        let includeExisting = includeExisting
        let task = Task {
            var known = AdapterSet(existing)
            if includeExisting { for adapter in existing { emit(.adapter(.arrived(adapter))) } }
            if let monitor {
                await follow(monitor.events, discovery: discovery, known: &known, emit: emit)
            } else {
                await poll(discovery: discovery, known: &known, emit: emit)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            task.cancel()
            monitor?.stop()
        }
        return stream
    }

    /// What the following loop reacts to: libusb's events, and the end of a tty wait.
    private enum FollowInput: Sendable {
        case usb(USBHotplugEvent)
        /// The wait number `token` for `arrival` ended with `adapters` (empty: no tty).
        case waited(USBArrival, token: Int, adapters: [SerialAdapter])
    }

    /// One loop owns `known`; each arrival's tty wait runs in a task of its own and posts
    /// its result back into the loop. A wait whose device left (or arrived again) meanwhile
    /// is cancelled and its result dropped.
    private func follow(
        _ usbEvents: AsyncStream<USBHotplugEvent>, discovery: AdapterDiscovery, known: inout AdapterSet,
        emit: @escaping @Sendable (AdapterWatchEvent) -> Void
    ) async {
        let (inbox, post) = AsyncStream<FollowInput>.makeStream()
        let forwarder = Task {
            for await event in usbEvents { post.yield(.usb(event)) }
            post.finish()
        }
        var waits: [USBBusAddress: (token: Int, task: Task<Void, Never>)] = [:]
        var lastToken = 0
        let ttyWait = ttyWait
        for await input in inbox {
            switch input {
            case .usb(.arrived(let arrival)):
                waits[arrival.busAddress]?.task.cancel()
                lastToken += 1
                let token = lastToken
                let task = Task {
                    let adapters = await Self.waitForTTYs(of: arrival.busAddress, discovery: discovery, upTo: ttyWait)
                    post.yield(.waited(arrival, token: token, adapters: adapters))
                }
                waits[arrival.busAddress] = (token, task)
            case .usb(.left(let busAddress)):
                waits.removeValue(forKey: busAddress)?.task.cancel()
                for path in known.remove(at: busAddress) { emit(.adapter(.removed(devicePath: path))) }
            case .waited(let arrival, let token, let adapters):
                guard waits[arrival.busAddress]?.token == token else { continue }
                waits[arrival.busAddress] = nil
                if adapters.isEmpty {
                    // Only adapters of the table: a mouse or a hub has no tty either.
                    guard AdapterChips.chip(vendorID: arrival.vendorID, productID: arrival.productID) != nil else { continue }
                    let location = USBDeviceDirectory.find(arrival.busAddress, paths: discovery.paths)?.location
                    emit(.noTTY(usbLocation: location, vendorID: arrival.vendorID, productID: arrival.productID))
                }
                for adapter in adapters where known.insert(adapter) { emit(.adapter(.arrived(adapter))) }
            }
        }
        forwarder.cancel()
        for wait in waits.values { wait.task.cancel() }
    }

    /// The adapters of the USB device at `busAddress`, looked for every `ttyRetry` until
    /// they appear, `limit` has passed or the task is cancelled (then empty). sysfs is
    /// checked first; the full listing (libusb, by-path links, /proc) only once a tty of
    /// that device shows.
    static func waitForTTYs(of busAddress: USBBusAddress, discovery: AdapterDiscovery, upTo limit: Duration) async -> [SerialAdapter] {
        let deadline = ContinuousClock.now + limit
        let scanner = TTYScanner(paths: discovery.paths)
        while !Task.isCancelled {
            if scanner.scan().contains(where: { $0.usb.busAddress == busAddress }) {
                let found = (try? discovery.adapters(at: busAddress)) ?? []
                if !found.isEmpty { return found }
            }
            if ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: ttyRetry)
        }
        return []
    }

    private func poll(discovery: AdapterDiscovery, known: inout AdapterSet, emit: @Sendable (AdapterWatchEvent) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.pollInterval)
            guard !Task.isCancelled, let now = try? discovery.adapters() else { continue }
            let present = Set(now.map(\.devicePath))
            for path in known.paths where !present.contains(path) {
                known.remove(path: path)
                emit(.adapter(.removed(devicePath: path)))
            }
            for adapter in now where known.insert(adapter) { emit(.adapter(.arrived(adapter))) }
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
