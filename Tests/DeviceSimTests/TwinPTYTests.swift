import DeviceSim
import ESPProtocol
import Foundation
import SerialLink
import Testing

/// The pseudo-terminal front, with the project's own serial port as the client.
struct TwinPTYTests {
    @Test func clientOnTheSlavePathSyncsReadsTheMACAndMayReopen() throws {
        let twin = ESP8266Twin()
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        for _ in 0..<2 {
            let port = try SerialPort(path: front.slavePath, baud: 115_200)
            let client = TestClient(port)
            try client.flush()
            #expect(try client.sync().count == 8)
            let mac0 = try #require(try client.readRegister(ESP8266.otpMAC0))
            let mac1 = try #require(try client.readRegister(ESP8266.otpMAC1))
            let mac3 = try #require(try client.readRegister(ESP8266.otpMAC3))
            #expect(ESP8266.macAddress(mac0: mac0, mac1: mac1, mac3: mac3) == TwinConfiguration.defaultMAC)
            port.close()
        }
        #expect(twin.counters.count(.sync) == 2)
    }

    @Test func twinLearnsTheClientsBaudFromThePseudoTerminal() throws {
        let twin = ESP8266Twin()
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let port = try SerialPort(path: front.slavePath, baud: 460_800)
        defer { port.close() }
        let client = TestClient(port)
        #expect(try client.sync().count == 8)
        #expect(twin.lockedBaud == 460_800)
        #expect(try client.readRegister(ESP8266.uartClockDividerRegister) == 113)  // 52 MHz / 460800
    }

    @Test func pulledCableHangsThePseudoTerminalUp() throws {
        let twin = ESP8266Twin()
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let port = try SerialPort(path: front.slavePath, baud: 115_200)
        defer { port.close() }
        let client = TestClient(port)
        #expect(try client.sync().count == 8)
        twin.arm(.pullCable(at: 3))
        #expect(throws: LinkError.self) {
            try client.send(.readReg(ESP8266.otpMAC0))
            _ = try client.responses(count: 1, timeout: .seconds(1))
            // A hung-up pseudo-terminal may accept a write; reading reports it gone.
            _ = try client.responses(count: 1, timeout: .seconds(1))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while twin.chipState != .poweredOff && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(twin.chipState == .poweredOff)
    }
}
