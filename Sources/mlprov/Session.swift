import ESPFlasher

/// Opens the port, resets into the loader, syncs and identifies the chip: the start of
/// every command that talks to a board (the library's `BoardConnection`, which the
/// flashing station uses too).
func openSession(_ options: ConnectionOptions, baud: Int? = nil, console: Console) throws(FlasherError) -> BoardConnection {
    let rate = options.baud ?? baud ?? ConnectionOptions.defaultBaud
    return try BoardConnection.open(
        port: options.port, baud: rate, reset: options.before, attempts: options.connectAttempts, stub: options.stub
    ) {
        console.render($0)
    }
}
