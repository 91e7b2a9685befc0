/// The udev rules `mlprov udev install` writes, embedded so the binary needs no data files.
/// Identical to udev/99-mlprov.rules (a test compares them byte for byte); see
/// udev/README.md for what each line does.
public enum UdevRules {
    /// The file name: 99 so that it runs after 60-serial.rules (by-path links, ID_PATH) and
    /// after ModemManager's own rules.
    public static let fileName = "99-mlprov.rules"

    /// The default folder for local rules.
    public static let defaultDirectory = "/etc/udev/rules.d"

    /// The folders udev reads rules from, most local first.
    public static let searchDirectories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]

    public static let text = #"""
# mlprov: USB serial adapters used to flash ESP8266 (MeterLogger) boards.
# Installed by `mlprov udev install` as /etc/udev/rules.d/99-mlprov.rules; see udev/README.md.
# Adapter list: /work/shared/facts/linux-usb-serial.md (VID:PID table), the same rows as
# Sources/DeviceDiscovery/AdapterChips.swift.

ACTION=="remove", GOTO="mlprov_end"

# The USB device itself: ModemManager leaves it alone.
SUBSYSTEM!="usb", GOTO="mlprov_tty"
ENV{DEVTYPE}!="usb_device", GOTO="mlprov_end"
ATTR{idVendor}=="10c4", ATTR{idProduct}=="ea60", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="10c4", ATTR{idProduct}=="ea70", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="10c4", ATTR{idProduct}=="ea71", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="1a86", ATTR{idProduct}=="7523", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="1a86", ATTR{idProduct}=="55d3", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="1a86", ATTR{idProduct}=="55d4", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="0403", ATTR{idProduct}=="6001", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="0403", ATTR{idProduct}=="6010", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="0403", ATTR{idProduct}=="6011", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="0403", ATTR{idProduct}=="6014", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="0403", ATTR{idProduct}=="6015", ENV{ID_MM_DEVICE_IGNORE}="1"
ATTR{idVendor}=="067b", ATTR{idProduct}=="2303", ENV{ID_MM_DEVICE_IGNORE}="1"
GOTO="mlprov_end"

# FTDI: answer within 1 ms instead of the driver's default 16 ms latency timer.
LABEL="mlprov_tty"
SUBSYSTEM=="usb-serial", DRIVER=="ftdi_sio", ATTR{latency_timer}="1"
SUBSYSTEM!="tty", GOTO="mlprov_end"

# The tty: mark it as ours, by the USB device above it.
ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea60", ENV{MLPROV_ADAPTER}="CP210x"
ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea70", ENV{MLPROV_ADAPTER}="CP210x"
ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea71", ENV{MLPROV_ADAPTER}="CP210x"
ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="7523", ENV{MLPROV_ADAPTER}="CH340"
ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="55d3", ENV{MLPROV_ADAPTER}="CH343"
ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="55d4", ENV{MLPROV_ADAPTER}="CH9102"
ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ENV{MLPROV_ADAPTER}="FTDI FT232R"
ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6010", ENV{MLPROV_ADAPTER}="FTDI FT2232"
ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6011", ENV{MLPROV_ADAPTER}="FTDI FT4232"
ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6014", ENV{MLPROV_ADAPTER}="FTDI FT232H"
ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6015", ENV{MLPROV_ADAPTER}="FTDI FT-X"
ATTRS{idVendor}=="067b", ATTRS{idProduct}=="2303", ENV{MLPROV_ADAPTER}="PL2303"
ENV{MLPROV_ADAPTER}=="", GOTO="mlprov_end"

# Access for the plugdev group and for the user logged in at the seat.
MODE="0660", GROUP="plugdev", TAG+="uaccess"
# ModemManager must not probe the port with AT commands.
ENV{ID_MM_DEVICE_IGNORE}="1", ENV{ID_MM_PORT_IGNORE}="1"
# A stable name per hub slot: /dev/mlprov/slot-<ID_PATH_TAG>, e.g.
# /dev/mlprov/slot-pci-0000_00_14_0-usb-0_2_3_1_0 (controller, hub ports, interface).
ENV{ID_PATH_TAG}=="", IMPORT{builtin}="path_id"
ENV{ID_PATH_TAG}=="?*", SYMLINK+="mlprov/slot-$env{ID_PATH_TAG}"

LABEL="mlprov_end"

"""#
}
