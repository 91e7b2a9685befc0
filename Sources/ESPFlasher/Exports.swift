// ESPFlasher's public API speaks the wire format's types (a session sends a `Request` and
// gets a `Response`; `ChipInfo` holds a `MACAddress`; errors name an `Opcode`; a connection
// uploads a `FlasherStub`), so a client of the flasher sees them with `import ESPFlasher`
// alone. The device twin imports ESPProtocol without the client.
@_exported import ESPProtocol
