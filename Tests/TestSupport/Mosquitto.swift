import Foundation
@_exported import Provisioning

/// A real mosquitto broker a test started (Provisioning's PrivateBroker).
public typealias MosquittoBroker = PrivateBroker

/// Starts a private mosquitto with `users` for the length of `body`. Every MQTT operation
/// in the tests has its own timeout, so a body cannot outlive its broker by hanging.
@discardableResult
public func withMosquitto<T: Sendable>(
    users: [String: String], _ body: @Sendable (MosquittoBroker) async throws -> T
) async throws -> T {
    try await PrivateBroker.run(users: users, body)
}
