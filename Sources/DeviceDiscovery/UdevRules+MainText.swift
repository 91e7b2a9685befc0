// The text of udev/99-mlprov.rules, embedded (a test keeps the two identical byte for byte).

extension UdevRules {
    static let mainText = #"""
# mlprov: USB serial adapters used to flash ESP8266 (MeterLogger) boards.
# Installed by `mlprov udev install` as /etc/udev/rules.d/99-mlprov.rules, together with
# 70-mlprov-uaccess.rules (access, and ENV{MLPROV_ADAPTER} that the tty part below
# relies on); see udev/README.md.
# Adapter list: docs/usb-serial.md ("Adapters used for ESP8266 boards"), the same rows as
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

# The tty: only ours (marked by 70-mlprov-uaccess.rules).
ENV{MLPROV_ADAPTER}=="", GOTO="mlprov_end"

# ModemManager must not probe the port with AT commands.
ENV{ID_MM_DEVICE_IGNORE}="1", ENV{ID_MM_PORT_IGNORE}="1"
# A stable name per hub slot: /dev/mlprov/slot-<ID_PATH_TAG>, e.g.
# /dev/mlprov/slot-pci-0000_00_14_0-usb-0_2_3_1_0 (controller, hub ports, interface).
ENV{ID_PATH_TAG}=="", IMPORT{builtin}="path_id"
ENV{ID_PATH_TAG}=="?*", SYMLINK+="mlprov/slot-$env{ID_PATH_TAG}"

LABEL="mlprov_end"

"""#
}
