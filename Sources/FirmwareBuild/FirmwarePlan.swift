import ESPFlasher
import ESPImage
import Foundation
import MeterLogger

extension FlashPlan {
    /// The plan for a build's five parts with the profile's flash settings: the app
    /// image's header gets the profile's mode, size and frequency, and MeterLogger's saved
    /// configuration stays protected.
    public init(artefacts: FirmwareArtefacts, flash: FlashSettings) throws(BuildError) {
        var parts: [FlashPart] = []
        for part in artefacts.parts {
            guard let data = FileManager.default.contents(atPath: part.path) else { throw .unreadableArtefact(path: part.path) }
            parts.append(FlashPart(name: part.name, offset: part.offset, bytes: [UInt8](data)))
        }
        do {
            try self.init(parts: parts, flashSize: flash.size, parameters: flash.parameters, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        } catch {
            throw .flashPlan(error)
        }
    }
}
