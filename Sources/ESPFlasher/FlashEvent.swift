/// Progress of a flash job, for the command line to render. Libraries never print.
public enum FlashEvent: Equatable, Sendable {
    /// Reset-and-sync attempt `attempt` of `of`.
    case connecting(attempt: Int, of: Int)
    case connected(ChipInfo)
    /// The flasher stub runs: parts go compressed and are verified by MD5.
    case stubStarted
    /// The stub did not start; the board was reset and the ROM loader carries on alone.
    case stubFallback
    /// FLASH_BEGIN for `part` is erasing `range` (as the ROM really erases it).
    case erasing(part: String, range: Range<Int>)
    /// `written` of `total` bytes of `part` are on the chip.
    case writing(part: String, written: Int, total: Int)
    /// A block at `offset` was refused or unanswered and is being sent again.
    case retrying(part: String, offset: Int, reason: String)
    case partWritten(part: String, offset: Int, bytes: Int, seconds: Double)
    /// How the board was left.
    case finished(AfterAction)
}
