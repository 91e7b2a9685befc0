/// The udev rules `mlprov udev install` writes, embedded so the binary needs no data files.
/// Identical to the files in udev/ (a test compares them byte for byte); see udev/README.md
/// for what each line does and why there are two files.
public enum UdevRules {
    /// Access (MODE, GROUP, TAG+="uaccess") and the ENV{MLPROV_ADAPTER} mark of our ttys.
    /// Numbered 70 because systemd acts on the uaccess tag in 71-seat.rules (seat tag) and
    /// 73-seat-late.rules (the ACL itself; systemd src/login/73-seat-late.rules.in:
    /// `TAG=="uaccess", ENV{MAJOR}!="", RUN{builtin}+="uaccess"`): a tag added later does
    /// nothing. After 60-serial.rules, so ID_PATH is known.
    public static let access = UdevRulesFile(name: "70-mlprov-uaccess.rules", text: accessText)

    /// ModemManager kept away, FTDI latency 1 ms, /dev/mlprov/slot-* links. Numbered 99 so
    /// that it runs after ModemManager's own rules and after 60-serial.rules (by-path links).
    public static let main = UdevRulesFile(name: "99-mlprov.rules", text: mainText)

    /// Every file, in the order udev reads them.
    public static let files: [UdevRulesFile] = [access, main]

    /// systemd's first rules file that acts on TAG+="uaccess" (71-seat.rules tags uaccess
    /// devices for the seat; 73-seat-late.rules applies the ACL): a file that adds the tag
    /// must sort before it.
    public static let firstUaccessConsumer = "71-seat.rules"

    /// The default folder for local rules.
    public static let defaultDirectory = "/etc/udev/rules.d"

    /// The folders udev reads rules from, most local first.
    public static let searchDirectories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]
}
