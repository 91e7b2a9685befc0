import ESPFlasher
import SerialLink

/// Opens the port, resets into the loader, syncs and identifies the chip: the start of
/// every command that talks to a board.
func openSession(_ options: ConnectionOptions, console: Console) throws(FlasherError) -> (LoaderSession, ChipInfo) {
    let port: SerialPort
    do { port = try SerialPort(path: options.port, baud: options.baud) } catch { throw .link(error) }
    let session = LoaderSession(link: port)
    try session.connect(reset: options.before, attempts: options.connectAttempts) { console.render($0) }
    let chip = try session.readChipInfo()
    console.render(.connected(chip))
    return (session, chip)
}
