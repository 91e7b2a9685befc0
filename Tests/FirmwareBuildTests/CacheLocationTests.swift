import FirmwareBuild
import Foundation
import Testing

@Suite("Where the firmware cache lives")
struct CacheLocationTests {
    @Test("the cache follows HOME as the ledger does, not the password database's home")
    func followsHome() {
        #expect(FirmwareBuilder.defaultCacheRoot(environment: ["HOME": "/home/other"]).path == "/home/other/.cache/mlprov/firmware")
    }

    @Test("an absolute XDG_CACHE_HOME wins; a relative one is ignored, as the XDG spec says")
    func followsXDG() {
        #expect(FirmwareBuilder.defaultCacheRoot(environment: ["XDG_CACHE_HOME": "/var/cache/tech", "HOME": "/home/tech"]).path
            == "/var/cache/tech/mlprov/firmware")
        #expect(FirmwareBuilder.defaultCacheRoot(environment: ["XDG_CACHE_HOME": "cache", "HOME": "/home/tech"]).path
            == "/home/tech/.cache/mlprov/firmware")
    }
}
