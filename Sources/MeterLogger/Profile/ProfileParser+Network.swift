import Yams

/// The `network` section: SSID, password source, MQTT broker.
extension ProfileParser {
    func readNetwork(_ node: Node) -> NetworkSettings? {
        let passwordChoices = "password_env: VARIABLE or password_file: path"
        guard let fields = reader.mapping(
            node, "network", allowed: ProfileSchema.networkKeys, what: "network: {ssid, password_env or password_file, mqtt}",
            special: ["password": (.inlineSecret, "a password is never written into a profile, which gets shared and committed", passwordChoices)]
        ) else { return nil }

        var ssid: String?
        if let node = fields["ssid"] {
            let allowed = "the site network's name, 1 to \(ProfileSchema.ssidMaxBytes) bytes"
            if let text = reader.text(node, "network.ssid", allowed: allowed) {
                if (1...ProfileSchema.ssidMaxBytes).contains(text.utf8.count) {
                    ssid = text
                } else {
                    reader.report(.invalidValue, at: node, "network.ssid", "the SSID has \(text.utf8.count) bytes", allowed: allowed)
                }
            }
        } else {
            reader.missing("ssid", in: fields, allowed: "the site network's name")
        }

        var password: PasswordSource?
        let sources = fields.ordered.filter { $0.name == "password_env" || $0.name == "password_file" }
        if let first = sources.first {
            for other in sources.dropFirst() {
                reader.report(.conflict, at: other.entry.key, "network.\(other.name)",
                              "\(first.name) is already given at \(reader.location(of: first.entry.key))", allowed: "one of \(passwordChoices)")
            }
            password = passwordSource(first.name, first.entry.value)
        } else if node.mapping?["password"] == nil {
            reader.missing("password_env", in: fields, allowed: "the wifi password's source: \(passwordChoices)")
        }

        var broker: MQTTBroker?
        if let node = fields["mqtt"] {
            broker = mqttBroker(node)
        } else {
            reader.missing("mqtt", in: fields, allowed: "mqtt: {host: …, port: 1883}")
        }
        guard let ssid, let password, let broker else { return nil }
        return NetworkSettings(ssid: ssid, password: password, mqtt: broker)
    }

    func passwordSource(_ name: String, _ node: Node) -> PasswordSource? {
        let path = "network.\(name)"
        if name == "password_env" {
            let allowed = "an environment variable's name: letters, digits and _, not starting with a digit"
            guard let text = reader.text(node, path, allowed: allowed) else { return nil }
            guard Self.isEnvironmentName(text) else {
                reader.report(.invalidValue, at: node, path, "\"\(text)\" is not an environment variable name", allowed: allowed)
                return nil
            }
            return .environment(text)
        }
        guard let text = nonEmptyText(node, path, allowed: "a file holding only the password, relative to the profile's folder or absolute") else {
            return nil
        }
        return .file(resolve(text))
    }

    func mqttBroker(_ node: Node) -> MQTTBroker? {
        guard let fields = reader.mapping(node, "network.mqtt", allowed: ProfileSchema.mqttKeys, what: "mqtt: {host: …, port: 1883}") else {
            return nil
        }
        let hostAllowed = "a host name or an IPv4 address"
        var host: String?
        if let node = fields["host"] {
            if let text = reader.text(node, "network.mqtt.host", allowed: hostAllowed) {
                if let problem = Self.hostProblem(text) {
                    reader.report(.invalidValue, at: node, "network.mqtt.host", problem, allowed: hostAllowed)
                } else {
                    host = text
                }
            }
        } else {
            reader.missing("host", in: fields, allowed: "the MQTT broker: \(hostAllowed)")
        }
        var port: Int? = MQTTBroker.defaultPort
        if let node = fields["port"] {
            port = reader.integer(node, "network.mqtt.port", in: ProfileSchema.portRange, allowed: "a TCP port from 1 to 65535; default 1883")
        }
        guard let host, let port else { return nil }
        return MQTTBroker(host: host, port: port)
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    /// Why `host` is neither a DNS host name (RFC 1123) nor a dotted IPv4 address.
    static func hostProblem(_ host: String) -> String? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) {
            let isIPv4 = labels.count == 4 && labels.allSatisfy { $0.count <= 3 && Int($0).map { $0 <= 255 } == true }
            return isIPv4 ? nil : "\"\(host)\" is not an IPv4 address"
        }
        let isName = host.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        return isName ? nil : "\"\(host)\" is not a host name"
    }
}
