import ArgumentParser

@main
struct MLProv: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlprov",
        abstract: "Provision and flash MeterLogger (ESP8266) boards.",
        discussion: """
            Flashes over the ESP8266 ROM serial bootloader without touching what it was not \
            asked to (MeterLogger's saved configuration at 0x76000-0x78FFF is protected). \
            `mlprov demo` shows the whole flow against the built-in device twin.
            """,
        subcommands: [
            ChipInfoCommand.self, ReadMACCommand.self, WriteFlashCommand.self, EraseRegionCommand.self,
            BuildCommand.self, FlashCommand.self, ProvisionCommand.self, DeriveCommand.self, KeysCommand.self, MQTTCommand.self, CommissionCommand.self, WifiCommand.self,
            SimCommand.self, DemoCommand.self,
            ELF2ImageCommand.self, ImageInfoCommand.self, MergeBinCommand.self, PortsCommand.self, UdevCommand.self, DoctorCommand.self,
            StationCommand.self, LedgerCommand.self,
        ]
    )
}
