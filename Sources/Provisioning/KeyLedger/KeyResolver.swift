import MeterLogger

/// The key a profile's device is built, flashed and commissioned with, always by way of
/// the ledger: a key given in the profile is recorded (or checked against the ledger's),
/// and `key: generate` takes the ledger's key, generating it on first use.
public struct KeyResolver: Sendable {
    public let store: KeyStore

    public init(store: KeyStore) {
        self.store = store
    }

    /// `device`'s key, recorded in the ledger before it is returned. Throws `keyConflict`
    /// (naming the serial and the profile, never a key) when the profile gives a key that
    /// differs from the one the ledger holds.
    public func key(for device: Device, in profile: InstallationProfile) throws(KeyStoreError) -> DeviceKey {
        try resolve(device, in: profile).key
    }

    /// As `key(for:in:)`, also telling whether the key was generated, recorded or found.
    public func resolve(_ device: Device, in profile: InstallationProfile) throws(KeyStoreError) -> IssuedKey {
        switch device.key {
        case .given(let key):
            try store.record(key, for: device.serial, installation: profile.name, source: profile.file)
        case .generate:
            try store.issueKey(for: device.serial, installation: profile.name, generateIfMissing: true)
        }
    }
}
