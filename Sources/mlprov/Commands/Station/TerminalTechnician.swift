import Station

/// Asks the technician for a board's serial: the question on standard error, the answer
/// (typed, or scanned with a barcode reader) one line on standard input, which may also be
/// a pipe. The station asks one question at a time and holds its turn until the answer,
/// so answers never cross between boards. Gives nil (no serial) at the end of input, and
/// when the station is stopped while asking.
final class TerminalTechnician: TechnicianDesk {
    let console: Console

    init(console: Console) {
        self.console = console
    }

    func serial(for request: SerialRequest) async -> String? {
        if let problem = request.problem { console.info("  \(problem)") }
        let why = request.profileExhausted ? "the profile has no device left; " : ""
        console.info("\(why)serial for the board on \(request.slot) (MAC \(request.mac)), Enter to skip: ")
        return await StandardInputLine.read()
    }
}
