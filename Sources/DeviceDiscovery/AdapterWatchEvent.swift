/// What `AdapterWatcher.watch()` reports: the adapter changes of `AdapterEvent` (which the
/// station consumes through `AdapterWatcher.events()`), plus the problems a technician
/// should see, such as a known adapter chip that was plugged in but got no tty.
public enum AdapterWatchEvent: Sendable, Hashable {
    /// An adapter arrived or was removed.
    case adapter(AdapterEvent)
    /// A USB device of a known adapter chip (the `AdapterChips` table) arrived, but no tty
    /// appeared for it within the watcher's tty wait: no driver bound, brltty took it, or
    /// the kernel driver failed (see `dmesg`). `usbLocation` is the kernel's name for the
    /// device (e.g. `1-2.3`, the same for the same hub slot) when sysfs shows it.
    case noTTY(usbLocation: String?, vendorID: UInt16, productID: UInt16)

    /// The `AdapterEvent` inside, nil for the other reports.
    public var adapterEvent: AdapterEvent? {
        if case .adapter(let event) = self { event } else { nil }
    }
}
