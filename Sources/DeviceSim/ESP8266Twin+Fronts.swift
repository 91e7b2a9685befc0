import SerialLink

extension ESP8266Twin {
    /// Connects the board to an in-process cable and returns the host's end; the twin
    /// serves the device end on its own thread. Power comes with the cable: the chip boots
    /// into `configuration.initialBootMode`. DTR/RTS on the host end drive EN and GPIO0
    /// through the usual auto-reset circuit (`ResetCircuit`).
    ///
    /// Calling it again is a replug: the previous cable is pulled first (its host end
    /// reads `LinkError.disconnected`), flash is kept.
    public func connectInProcess(name: String = "twin") -> MemoryLink {
        let (host, device) = MemoryLink.pair(name: name)
        let front = TwinFront(name: device.name, link: device, disconnect: { device.disconnect() })
        attach(front, lines: device.peerControlLines)
        device.onPeerControlLinesChange = { [weak self, weak front] lines in
            guard let self, let front else { return }
            self.controlLinesChanged(lines, on: front)
        }
        front.start(self)
        return host
    }

    /// Serves the board on a new pseudo-terminal; a client opens `slavePath` (esptool,
    /// `SerialPort`, ser2net) and may close and reopen it freely. A pseudo-terminal has no
    /// DTR/RTS: the chip boots into `configuration.initialBootMode` and `reset(into:)`
    /// stands in for the reset button. A pull-cable fault hangs the pseudo-terminal up.
    public func servePseudoTerminal() throws(LinkError) -> TwinPTYFront {
        let terminal = try PseudoTerminal()
        let front = TwinFront(name: terminal.master.name, link: terminal.master, disconnect: { terminal.hangUp() })
        attach(front, lines: ControlLines(dtr: false, rts: false))
        front.start(self)
        return TwinPTYFront(terminal: terminal, front: front)
    }
}

/// A twin served on a pseudo-terminal.
public final class TwinPTYFront: Sendable {
    /// The path a client opens, such as `/dev/pts/5`.
    public let slavePath: String
    private let terminal: PseudoTerminal
    private let front: TwinFront

    init(terminal: PseudoTerminal, front: TwinFront) {
        self.terminal = terminal
        self.front = front
        slavePath = terminal.slavePath
    }

    /// Whether a client has the slave side open now.
    public var clientConnected: Bool { terminal.clientConnected }

    /// Stops serving and hangs the pseudo-terminal up; waits for the serving thread.
    public func stop() {
        front.stop()
    }
}
