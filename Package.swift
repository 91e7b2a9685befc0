// swift-tools-version: 6.1
// mlprov: provisioning and flashing toolkit for MeterLogger (ESP8266) boards.
// Layout and layering: see README.md ("Layout"); libraries never print, the CLI renders.
import PackageDescription

let package = Package(
    name: "mlprov",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mlprov", targets: ["mlprov"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        // OpenSSL's libcrypto; only Crypto imports it.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libmosquitto, the MQTT client library the boards' broker side is tested with.
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // libusb: USB enumeration and hotplug of serial adapters.
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        // zlib: deflate for the flasher stub's compressed writes.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // What every library shares: the error protocol (what failed, help, cause), hex and
        // Duration text, secret-file reads, atomic private writes, signals, blocking work.
        .target(name: "Basics", dependencies: ["CSysShim"]),
        // libcrypto behind owning non-copyable types: SHA-256 (cache keys), MD5 (the stub's
        // verification), HMAC-SHA256 and AES-128-CBC (MeterLogger's messages), random bytes.
        .target(name: "Crypto", dependencies: ["Basics", "COpenSSL"]),
        // The few libc calls Swift's Glibc module leaves out (getxattr).
        .target(name: "CSysShim"),
        // termios2 shim: any baud rate (74880, 1500000) and reading the rate back.
        .target(name: "CTermios"),
        // Byte links: termios serial port, pseudo-terminal pair, in-memory pair.
        .target(name: "SerialLink", dependencies: ["Basics", "CTermios"]),
        // ESP8266 image format: header, segments, checksum, flash parameters; flash parts and
        // protected regions as a flasher takes them (which regions: the application says).
        .target(name: "ESPImage", dependencies: ["Basics"]),
        // The ESP8266 wire format and chip facts the client and the twin share: SLIP, ROM and
        // stub commands, the chip's registers and ROM quirks, mlprov's stub image (its
        // segments embedded from Resources/, written by scripts/build-stub).
        .target(
            name: "ESPProtocol",
            dependencies: ["Basics", "ESPImage"],
            resources: [.embedInCode("Resources/stub-text.bin"), .embedInCode("Resources/stub-data.bin")]
        ),
        // The ROM loader client: session, stub session, flash plans, resets, one board's connection.
        .target(name: "ESPFlasher", dependencies: ["Basics", "Crypto", "SerialLink", "ESPImage", "ESPProtocol", "CZlib"]),
        // USB serial adapters: enumeration (libusb), sysfs tty/by-path mapping, hotplug stream.
        .target(name: "DeviceDiscovery", dependencies: ["Basics", "CLibUSB", "CSysShim", "SerialLink"]),
        // The device's domain: profiles → variants → make variables, sw_version import, its
        // flash layout and the regions a flash must leave alone.
        .target(
            name: "MeterLogger",
            dependencies: ["Basics", "Crypto", "ESPImage", .product(name: "Yams", package: "Yams")]
        ),
        // An MQTT client over libmosquitto: connect with user/password, publish, subscribe.
        .target(name: "MQTT", dependencies: ["Basics", "CMosquitto"]),
        // Workflows: the key ledger (SQLite), commissioning over MQTT.
        .target(
            name: "Provisioning",
            dependencies: [
                "Basics", "Crypto", "MeterLogger", "MQTT", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // Runs the firmware's make per variant in isolated work dirs; caches artefacts; turns
        // them into a flash plan.
        .target(
            name: "FirmwareBuild",
            dependencies: [
                "Basics", "Crypto", "MeterLogger", "ESPImage", "ESPFlasher", .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The device twin: an ESP8266 ROM emulator with flash, timing and fault models.
        .target(
            name: "DeviceSim",
            dependencies: [
                "Basics", "Crypto", "SerialLink", "ESPProtocol", "ESPImage", "MeterLogger", "MQTT", "CZlib",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ]
        ),
        // The flashing station: boards on ports (fixed or hotplugged), provisioned in parallel.
        .target(
            name: "Station",
            dependencies: ["Basics", "CSysShim", "DeviceDiscovery", "ESPFlasher", "ESPImage", "SerialLink", "MeterLogger", "FirmwareBuild", "Provisioning"]
        ),
        // `mlprov demo`'s story on the device twin, through the one pipeline every board takes.
        .target(
            name: "Demo",
            dependencies: ["Basics", "DeviceSim", "ESPFlasher", "ESPImage", "FirmwareBuild", "MeterLogger", "MQTT", "Provisioning", "Station"]
        ),
        // The flasher stub's C core (firmware/stub/core) built for the host behind a pty HAL,
        // so tests drive the very protocol code that runs on the chip.
        .target(
            name: "CStubHost",
            path: "firmware/stub",
            exclude: ["Makefile", "README.md", "PROTOCOL.md", "esp8266", "tools", "build", "emu"],
            sources: ["core", "host"],
            publicHeadersPath: "host/include"
        ),
        // The command line: parses, calls the libraries, renders.
        .executableTarget(
            name: "mlprov",
            dependencies: [
                "Basics", "SerialLink", "ESPImage", "ESPFlasher", "DeviceSim", "MeterLogger", "FirmwareBuild", "MQTT", "Provisioning",
                "DeviceDiscovery", "Station", "Demo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmark fixtures: writes the MeterLogger-sized sample image set (scripts/bench-flash).
        .executableTarget(name: "mlprov-bench-fixtures", dependencies: ["Basics", "ESPImage", "TestSupport"], path: "Sources/BenchFixtures"),
        .target(
            name: "TestSupport",
            dependencies: [
                "Basics", "Crypto", "COpenSSL", "ESPImage", "ESPFlasher", "MeterLogger", "MQTT", "Provisioning", "DeviceSim", "DeviceDiscovery", "Station",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "SerialLinkTests", dependencies: ["SerialLink"]),
        .testTarget(name: "ESPImageTests", dependencies: ["ESPImage", "TestSupport"]),
        .testTarget(name: "ESPProtocolTests", dependencies: ["ESPProtocol", "ESPImage", "TestSupport", "CStubHost"]),
        .testTarget(
            name: "ESPFlasherTests",
            dependencies: ["ESPFlasher", "ESPProtocol", "ESPImage", "DeviceSim", "SerialLink", "MeterLogger", "TestSupport", "CStubHost", "CZlib"]
        ),
        .testTarget(name: "DeviceDiscoveryTests", dependencies: ["DeviceDiscovery", "SerialLink", "TestSupport"]),
        .testTarget(
            name: "StationTests",
            dependencies: [
                "Station", "CSysShim", "DeviceDiscovery", "DeviceSim", "ESPFlasher", "ESPImage", "SerialLink", "MeterLogger", "Provisioning", "TestSupport",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .testTarget(name: "MeterLoggerTests", dependencies: ["MeterLogger", "ESPImage", "TestSupport"]),
        .testTarget(name: "BasicsTests", dependencies: ["Basics", "CSysShim"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "TestSupport"]),
        .testTarget(
            name: "ProvisioningTests",
            dependencies: [
                "Provisioning", "MeterLogger", "MQTT", "DeviceSim", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .testTarget(name: "FirmwareBuildTests", dependencies: ["FirmwareBuild", "MeterLogger", "ESPImage", "ESPFlasher", "DeviceSim", "TestSupport"]),
        .testTarget(name: "DeviceSimTests", dependencies: ["DeviceSim", "ESPProtocol", "ESPFlasher", "ESPImage", "SerialLink", "MeterLogger", "TestSupport"]),
        // The real cross-compiled stub on an emulated LX106 (qemu-system-xtensa, fake mask ROM
        // and TCG plugin in firmware/stub/emu); skipped only where qemu is not installed.
        .testTarget(
            name: "StubEmulationTests",
            dependencies: ["Basics", "ESPFlasher", "ESPImage", "MeterLogger", "SerialLink", "TestSupport", .product(name: "Subprocess", package: "swift-subprocess")]
        ),
        // Every test that runs the mlprov binary (as a technician would), against twins,
        // esptool, mosquitto and fake setup pages.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "TestSupport", "Basics", "DeviceSim", "DeviceDiscovery", "ESPFlasher", "ESPImage", "SerialLink", "MeterLogger", "MQTT", "Provisioning", "Station",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
