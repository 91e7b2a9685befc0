// The text of udev/70-mlprov-uaccess.rules, embedded (a test keeps the two identical byte for byte).

extension UdevRules {
    static let accessText = #"""
# mlprov: who may open the USB serial adapters used to flash ESP8266 (MeterLogger) boards.
# Installed by `mlprov udev install` as /etc/udev/rules.d/70-mlprov-uaccess.rules, together
# with 99-mlprov.rules (which relies on MLPROV_ADAPTER set here); see udev/README.md.
# Numbered 70 because TAG+="uaccess" only works before systemd's 71-seat.rules (which adds
# the seat tag to uaccess devices) and 73-seat-late.rules (which applies the ACL): a tag
# added in a file that sorts after them comes too late and does nothing.
# Adapter list: docs/usb-serial.md ("Adapters used for ESP8266 boards"), the same rows as
# Sources/DeviceDiscovery/AdapterChips.swift.

ACTION=="remove", GOTO="mlprov_uaccess_end"
SUBSYSTEM!="tty", GOTO="mlprov_uaccess_end"

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
ENV{MLPROV_ADAPTER}=="", GOTO="mlprov_uaccess_end"

# Access for the plugdev group and for the user logged in at the seat.
MODE="0660", GROUP="plugdev", TAG+="uaccess"

LABEL="mlprov_uaccess_end"

"""#
}
