import Foundation
import SerialLink
import Testing

@Suite("LinkError messages")
struct LinkErrorMessageTests {
    static let everyCase: [LinkError] = [
        .openFailed(path: "/dev/ttyUSB7", errno: ENOENT),
        .openFailed(path: "/dev/ttyUSB7", errno: EACCES),
        .busy(path: "/dev/ttyUSB7"),
        .notATerminal(path: "/dev/ttyUSB7"),
        .disconnected(link: "/dev/ttyUSB7"),
        .closed(link: "/dev/ttyUSB7"),
        .baudRateUnsupported(link: "/dev/ttyUSB7", baud: 3),
        .controlLinesUnsupported(link: "/dev/ttyUSB7"),
        .io(link: "/dev/ttyUSB7", operation: "drain output", errno: EIO),
    ]

    @Test(arguments: everyCase)
    func everyMessageNamesThePortAndHasHelp(error: LinkError) {
        #expect(error.description.contains("/dev/ttyUSB7"))
        #expect(error.help?.isEmpty == false)
    }

    @Test func openFailureExplainsTheErrno() {
        let error = LinkError.openFailed(path: "/dev/ttyUSB7", errno: ENOENT)
        #expect(error.description == "cannot open /dev/ttyUSB7: No such file or directory (errno 2)")
        #expect(LinkError.openFailed(path: "/dev/ttyUSB7", errno: EACCES).help?.contains("dialout") == true)
    }
}
