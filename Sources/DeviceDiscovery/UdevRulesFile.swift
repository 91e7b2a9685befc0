/// One udev rules file `mlprov udev install` writes: its name (the number decides when udev
/// reads it, among all rules files sorted by name) and its text.
public struct UdevRulesFile: Sendable, Hashable {
    /// The file name, e.g. `70-mlprov-uaccess.rules`.
    public var name: String
    /// The whole file, ending in a newline.
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}
