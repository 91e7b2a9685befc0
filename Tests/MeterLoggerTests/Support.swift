import Foundation
import MeterLogger

/// Profiles in these tests are named site.yaml and live in /srv/profiles.
let testFile = "site.yaml"
let testFolder = URL(fileURLWithPath: "/srv/profiles")

func parseProfile(_ yaml: String) throws(ProfileError) -> InstallationProfile {
    try InstallationProfile(yaml: yaml, file: testFile, baseDirectory: testFolder)
}

/// The lines of the error a profile fails with; empty when it loads.
func profileErrors(_ yaml: String) -> [String] {
    do {
        _ = try parseProfile(yaml)
        return []
    } catch {
        return error.description.split(separator: "\n").map(String.init)
    }
}

/// A valid profile's first lines, to which a test appends its devices.
let minimalHeader = """
    installation:
      name: Test site
    firmware:
      source: fw
    devices:

    """

/// The repository's profiles/ folder.
let profilesFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("profiles")

let exampleKey = "ef500c9268cf749016d26d6cbfaaf7bf"
