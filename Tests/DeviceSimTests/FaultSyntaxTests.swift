import DeviceSim
import Testing

@Suite("Fault syntax of mlprov sim --fault")
struct FaultSyntaxTests {
    @Test(arguments: [
        ("flip@0", FaultPlan.LineFault.flipByte(at: 0)), ("drop@17", .dropByte(at: 17)), ("pull@30000", .pullCable(at: 30_000)),
    ])
    func eachKindParses(text: String, fault: FaultPlan.LineFault) throws {
        #expect(try FaultPlan.LineFault(parsing: text) == fault)
    }

    @Test(arguments: ["flip", "flip@", "flip@-1", "flip@x", "@3", "flip@1@2"])
    func aMalformedFaultNamesItsShape(text: String) {
        #expect(throws: FaultSyntaxError(text: text, problem: .shape)) { try FaultPlan.LineFault(parsing: text) }
    }

    @Test func anUnknownKindIsNamed() {
        #expect(throws: FaultSyntaxError(text: "zap@3", problem: .kind)) { try FaultPlan.LineFault(parsing: "zap@3") }
        #expect(FaultSyntaxError(text: "zap@3", problem: .kind).description.contains("flip, drop or pull"))
    }
}
