import Basics
import ESPFlasher
import ESPImage
import FirmwareBuild
import Station
import Synchronization

/// Renders one board's pipeline events on the console (flash, provision, demo): a line per
/// step, the loader's own progress, and the ROM's unavoidable extra erases on the ROM path.
final class ProvisioningRenderer: Sendable {
    let console: Console
    /// The ROM loader alone writes (--no-stub): its erase bug is named before writing.
    let romOnly: Bool
    /// Print the boot text as it is read.
    let showBootLog: Bool
    /// The plan being written: its extra erases are named if the stub does not start.
    private let plan = Mutex<FlashPlan?>(nil)

    init(console: Console, romOnly: Bool, showBootLog: Bool = false) {
        self.console = console
        self.romOnly = romOnly
        self.showBootLog = showBootLog
    }

    func render(_ event: ProvisioningEvent) {
        switch event {
        case .phase(let step):
            switch step {
            case .connecting, .flashing: break  // the loader's own events say it
            case .claiming: break
            case .building: console.info("Firmware: building (or taking it from the cache)…")
            case .booting: console.info("Resetting into the firmware; reading its boot text…")
            case .wifi: console.info("Wifi setup through the board's setup access point…")
            case .commissioning: console.info("Commissioning over MQTT…")
            }
        case .identified: break  // `.flash(.connected)` says it
        case .device(let serial): console.info("The board becomes device \(serial.text)")
        case .firmware(let outcome):
            console.info("Firmware \(outcome.artefacts.label): \(outcome.cacheHit ? "from the cache" : "built in \(String(format: "%.1f", outcome.seconds)) s")")
        case .planned(let plan):
            self.plan.withLock { $0 = plan }
            if romOnly { noteCollateralErases(plan) }
        case .flash(let flash):
            console.render(flash)
            if flash == .stubFallback, let plan = plan.withLock({ $0 }) { noteCollateralErases(plan) }
        case .bootLog(let log):
            guard showBootLog else { return }
            console.result("Boot log at 74880 baud (the ROM's, then the firmware's):")
            for line in log.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) where !line.isEmpty {
                console.result("  \(line)")
            }
        }
    }

    /// The ROM's erase bug erases more than asked where it cannot be compensated exactly.
    func noteCollateralErases(_ plan: FlashPlan) {
        for operation in plan.operations {
            if let extra = operation.collateralErase {
                console.info("note: the ROM's erase bug also erases \(hex(extra.lowerBound))–\(hex(extra.upperBound - 1)) after \(operation.part.name)")
            }
        }
    }
}
