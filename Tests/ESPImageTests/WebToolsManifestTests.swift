import ESPImage
import Foundation
import Testing

@Suite("ESP Web Tools manifest")
struct WebToolsManifestTests {
    @Test("a manifest written by the server's style of JSON reads, extra keys ignored")
    func readsServerJSON() throws {
        let text = """
            {"name": "MeterLogger", "version": "build 7", "new_install_prompt_erase": false,
             "builds": [{"chipFamily": "ESP8266", "parts": [{"path": "0x00000.bin", "offset": 0},
                                                             {"path": "0x10000.bin", "offset": 65536}]}]}
            """
        let manifest = try WebToolsManifest(json: Array(text.utf8))
        #expect(manifest.version == "build 7")
        #expect(manifest.build(for: "esp8266")?.parts.map(\.offset) == [0, 0x10000])
    }

    @Test("malformed manifests are refused saying what and where", arguments: [
        (#"{"name": "x", "version": "1"}"#, ManifestError.malformed("\"builds\" is missing in the top level")),
        (#"{"name": "x", "version": "1", "builds": [{"chipFamily": "ESP8266", "parts": [{"path": "a.bin", "offset": "0x0"}]}]}"#,
         .malformed("builds[0].parts[0].offset should be a number")),
        (#"{"name": "x", "version": "1", "builds": []}"#, .noBuilds),
        (#"{"name": "x", "version": "1", "builds": [{"chipFamily": "ESP8266", "parts": [{"path": "a.bin", "offset": -4096}]}]}"#,
         .badPart(build: 0, part: 0, reason: "negative offset -4096")),
        ("not json", .malformed("not JSON")),
    ])
    func malformed(text: String, error: ManifestError) {
        #expect(throws: error) { try WebToolsManifest(json: Array(text.utf8)) }
    }
}
