import ESPFlasher
import SerialLink

/// Opens the port, resets into the loader, syncs and identifies the chip: the start of
/// every command that talks to a board.
func openSession(_ options: ConnectionOptions, baud: Int? = nil, console: Console) throws(FlasherError) -> (LoaderSession, ChipInfo) {
    let port: SerialPort
    let rate = options.baud ?? baud ?? ConnectionOptions.defaultBaud
    do { port = try SerialPort(path: options.port, baud: rate) } catch { throw .link(error) }
    let session = LoaderSession(link: port)
    try session.connect(reset: options.before, attempts: options.connectAttempts) { console.render($0) }
    let chip = try session.readChipInfo()
    console.render(.connected(chip))
    return (session, chip)
}
