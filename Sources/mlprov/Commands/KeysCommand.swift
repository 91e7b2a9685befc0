import ArgumentParser
import Foundation
import MeterLogger
import Provisioning

/// `mlprov keys …`: the key ledger, where every board's key is recorded before it is used.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate, import, export and list the boards' keys in the key ledger.",
        discussion: """
            The ledger is an SQLite file (mode 0600, in a 0700 folder) holding each meter \
            serial's 16-byte key and a history of who generated, imported, flashed or exported \
            it. A key is committed to the ledger before any command uses it, so a board is \
            never flashed with a key that could be lost. Keys appear only in `keys export`; \
            every other command names serials.

            Serials are kept as the firmware prints them in MQTT topics (%07u): 12345 and \
            0012345 are the same meter and share one key.

            Default ledger: $XDG_DATA_HOME/mlprov/ledger.sqlite, or \
            ~/.local/share/mlprov/ledger.sqlite; --ledger PATH on every subcommand overrides it.
            """,
        subcommands: [
            KeysGenerateCommand.self, KeysImportCommand.self, KeysExportCommand.self,
            KeysListCommand.self, KeysHistoryCommand.self,
        ]
    )
}

/// Which ledger a `keys` subcommand works on.
struct LedgerOptions: ParsableArguments {
    @Option(help: """
        Key ledger file (default: $XDG_DATA_HOME/mlprov/ledger.sqlite, or \
        ~/.local/share/mlprov/ledger.sqlite). Created 0600 if missing.
        """)
    var ledger: String?

    func open() throws(KeyStoreError) -> KeyStore {
        try KeyStore(path: ledger ?? LedgerLocation.defaultPath())
    }
}


/// How the ledger's dates print: ISO 8601 in UTC, e.g. 2025-03-01T09:30:00Z.
func ledgerDate(_ date: Date?) -> String? {
    date?.formatted(.iso8601)
}
