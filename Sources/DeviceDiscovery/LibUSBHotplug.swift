import CLibUSB
import Foundation
import Synchronization

/// A raw USB arrival or removal as libusb reports it.
enum USBHotplugEvent: Sendable, Hashable {
    case arrived(USBArrival)
    case left(USBBusAddress)
}

/// A USB device that arrived: where it is and what it is (from the device descriptor
/// libusb read at enumeration, which needs no I/O in the callback).
struct USBArrival: Sendable, Hashable {
    var busAddress: USBBusAddress
    var vendorID: UInt16
    var productID: UInt16
}

/// libusb hotplug callbacks delivered as an `AsyncStream`. The callback only copies the
/// bus and address and yields; libusb's events are handled on a thread of our own (never
/// on the async pool). `stop()` (or deinit) ends the thread, frees the context and
/// finishes the stream.
final class LibUSBHotplugMonitor: Sendable {
    /// How long one `libusb_handle_events_timeout_completed` call may block before the
    /// thread checks whether it should stop.
    static let pollInterval = 200 // ms

    let events: AsyncStream<USBHotplugEvent>
    private let context: LibUSBContext
    private let box: ContinuationBox
    private let callback: Mutex<libusb_hotplug_callback_handle?>
    private let running = RunFlag()
    private let finished = DispatchSemaphore(value: 0)

    /// Holds the continuation the C callback yields into (passed as libusb's `user_data`).
    final class ContinuationBox: Sendable {
        let continuation: AsyncStream<USBHotplugEvent>.Continuation
        init(_ continuation: AsyncStream<USBHotplugEvent>.Continuation) { self.continuation = continuation }
    }

    init() throws(DiscoveryError) {
        context = try LibUSBContext.shared.get()
        guard LibUSBContext.hasHotplug else { throw .hotplugFailed(reason: "this libusb has no hotplug support") }
        let (stream, continuation) = AsyncStream<USBHotplugEvent>.makeStream()
        events = stream
        box = ContinuationBox(continuation)
        var handle: libusb_hotplug_callback_handle = 0
        let eventMask = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        let status = libusb_hotplug_register_callback(
            context.handle, eventMask, 0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            hotplugCallback, Unmanaged.passUnretained(box).toOpaque(), &handle)
        guard status == 0 else { throw .hotplugFailed(reason: libusbErrorName(status)) }
        callback = Mutex(handle)
        let thread = Thread { [context, running, finished] in
            var tv = timeval(tv_sec: 0, tv_usec: suseconds_t(Self.pollInterval * 1000))
            while running.value.load(ordering: .acquiring) {
                _ = libusb_handle_events_timeout_completed(context.handle, &tv, nil)
            }
            finished.signal()
        }
        thread.name = "mlprov-libusb-hotplug"
        thread.start()
    }

    /// Stops the event thread and finishes the stream. Idempotent.
    func stop() {
        guard running.value.exchange(false, ordering: .acquiringAndReleasing) else { return }
        if let handle = callback.withLock({ handle in defer { handle = nil }; return handle }) {
            libusb_hotplug_deregister_callback(context.handle, handle)
        }
        finished.wait()
        box.continuation.finish()
    }

    deinit {
        stop()
    }
}

/// Set while the event thread should keep running.
final class RunFlag: Sendable {
    let value = Atomic<Bool>(true)
}

/// The C callback: recovers the box, copies bus, address and (on arrival) VID:PID, yields. Returns 0 to stay registered.
private func hotplugCallback(
    _ context: OpaquePointer?, _ device: OpaquePointer?, _ event: libusb_hotplug_event, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let userData, let device else { return 0 }
    let box = Unmanaged<LibUSBHotplugMonitor.ContinuationBox>.fromOpaque(userData).takeUnretainedValue()
    let address = USBBusAddress(bus: Int(libusb_get_bus_number(device)), address: Int(libusb_get_device_address(device)))
    if event.rawValue == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue {
        var descriptor = libusb_device_descriptor()
        let known = libusb_get_device_descriptor(device, &descriptor) == 0
        box.continuation.yield(.arrived(USBArrival(
            busAddress: address, vendorID: known ? descriptor.idVendor : 0, productID: known ? descriptor.idProduct : 0)))
    } else if event.rawValue == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue {
        box.continuation.yield(.left(address))
    }
    return 0
}
