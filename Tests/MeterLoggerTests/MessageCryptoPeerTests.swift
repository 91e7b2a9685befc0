import Basics
import Foundation
import MeterLogger
import TestSupport
import Testing

/// An independent implementation of the message format, written from docs/meterlogger-build.md with
/// Python's `cryptography` package (in the esptool venv). Reads one JSON argument:
/// `{"key": hex, "open": [{"topic", "message"}], "seal": [{"topic", "cleartext"}]}` (bytes as
/// hex) and prints `{"aes_key", "hmac_key", "opened": [cleartext or "error: …"], "sealed":
/// [message], "bad_padding": message, "missing_nul": message}`.
let pythonPeerScript = #"""
import hashlib, hmac, json, os, sys
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

job = json.loads(sys.argv[1])
digest = hashlib.sha256(bytes.fromhex(job["key"])).digest()
aes_key, hmac_key = digest[:16], digest[16:]

def mac(topic, iv, ciphertext):
    return hmac.new(hmac_key, topic.encode() + iv + ciphertext, hashlib.sha256).digest()

def encrypt_blocks(blocks, iv):
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    return encryptor.update(blocks) + encryptor.finalize()

def seal(topic, cleartext, iv=None):
    iv = iv if iv is not None else os.urandom(16)
    padder = padding.PKCS7(128).padder()
    blocks = padder.update(cleartext + b"\0") + padder.finalize()
    ciphertext = encrypt_blocks(blocks, iv)
    return mac(topic, iv, ciphertext) + iv + ciphertext

def open_message(topic, message):
    if len(message) < 64:
        return "error: too short"
    tag, iv, ciphertext = message[:32], message[32:48], message[48:]
    if not hmac.compare_digest(tag, mac(topic, iv, ciphertext)):
        return "error: bad hmac"
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).decryptor()
    blocks = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        cleartext = unpadder.update(blocks) + unpadder.finalize()
    except ValueError:
        return "error: bad padding"
    if not cleartext.endswith(b"\0"):
        return "error: missing nul"
    return cleartext[:-1].hex()

def raw(topic, blocks):
    iv = os.urandom(16)
    ciphertext = encrypt_blocks(blocks, iv)
    return (mac(topic, iv, ciphertext) + iv + ciphertext).hex()

topic = "/config/v2/9999999/1700000000/open"
print(json.dumps({
    "aes_key": aes_key.hex(),
    "hmac_key": hmac_key.hex(),
    "opened": [open_message(m["topic"], bytes.fromhex(m["message"])) for m in job["open"]],
    "sealed": [seal(m["topic"], bytes.fromhex(m["cleartext"])).hex() for m in job["seal"]],
    "bad_padding": raw(topic, b"hello\0" + bytes(range(10))),
    "missing_nul": raw(topic, b"hello" + bytes([11] * 11)),
}))
"""#

struct PeerJob: Encodable {
    struct Sealed: Encodable { var topic: String; var message: String }
    struct ToSeal: Encodable { var topic: String; var cleartext: String }
    var key: String
    var open: [Sealed]
    var seal: [ToSeal]
}

struct PeerAnswer: Decodable {
    var aesKey: String
    var hmacKey: String
    var opened: [String]
    var sealed: [String]
    var badPadding: String
    var missingNul: String
    enum CodingKeys: String, CodingKey {
        case aesKey = "aes_key", hmacKey = "hmac_key", opened, sealed, badPadding = "bad_padding", missingNul = "missing_nul"
    }
}

@Suite("Message crypto against an independent Python implementation")
struct MessageCryptoPeerTests {
    @Test("Python (cryptography) opens what mlprov seals and mlprov opens what Python seals, lengths 0…100")
    func bothDirections() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: esptoolPython), "no venv python at \(esptoolPython): run scripts/setup")
        let keys = try exampleKeys()
        let topics = ["/sample/v2/9999999/1700000000", "/config/v2/9999999/1700000000/set_ssid_pwd", "", "/ping/v2/1/2"]
        let cleartexts: [[UInt8]] = (0...100).map { length in (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ length) } }
            + [sampleCleartext, Array("ssid=Loppen Public&pwd=æøå 🔑".utf8)]
        var toOpen: [PeerJob.Sealed] = []
        var toSeal: [PeerJob.ToSeal] = []
        for (index, cleartext) in cleartexts.enumerated() {
            let topic = topics[index % topics.count]
            toOpen.append(.init(topic: topic, message: hexString(try MessageCrypto.seal(cleartext, topic: topic, keys: keys))))
            toSeal.append(.init(topic: topic, cleartext: hexString(cleartext)))
        }
        // A message of ours with the wrong topic: the peer must refuse it too.
        let wrongTopic = PeerJob.Sealed(topic: "/other", message: toOpen[20].message)
        let job = PeerJob(key: FactsVector.key, open: toOpen + [wrongTopic], seal: toSeal)
        let input = String(decoding: try JSONEncoder().encode(job), as: UTF8.self)

        let result = try await runProcess(esptoolPython, ["-c", pythonPeerScript, input], timeout: .seconds(60))
        try #require(result.succeeded, "\(result)")
        let answer = try JSONDecoder().decode(PeerAnswer.self, from: Data(result.stdout.utf8))

        #expect(answer.aesKey == FactsVector.aesKey && answer.hmacKey == FactsVector.hmacKey)
        #expect(answer.opened.count == cleartexts.count + 1)
        for (index, cleartext) in cleartexts.enumerated() {
            #expect(answer.opened[index] == hexString(cleartext), "length \(cleartext.count)")
        }
        #expect(answer.opened.last == "error: bad hmac")

        #expect(answer.sealed.count == cleartexts.count)
        for (index, cleartext) in cleartexts.enumerated() {
            let message = try #require(MessageCrypto.bytes(hex: answer.sealed[index]))
            let topic = topics[index % topics.count]
            #expect(try MessageCrypto.open(message, topic: topic, keys: keys) == cleartext, "length \(cleartext.count)")
            #expect(throws: MessageCryptoError.badHMAC) { try MessageCrypto.open(message, topic: topic + "x", keys: keys) }
        }

        let topic = "/config/v2/9999999/1700000000/open"
        #expect(throws: MessageCryptoError.badPadding) {
            try MessageCrypto.open(MessageCrypto.bytes(hex: answer.badPadding) ?? [], topic: topic, keys: keys)
        }
        #expect(throws: MessageCryptoError.missingTerminator) {
            try MessageCrypto.open(MessageCrypto.bytes(hex: answer.missingNul) ?? [], topic: topic, keys: keys)
        }
    }
}
