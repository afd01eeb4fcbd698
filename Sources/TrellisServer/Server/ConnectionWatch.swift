import NIOConcurrencyHelpers
import NIOCore

/// Knows which client connections are still open and runs callbacks when one closes, so a
/// request's work can be cancelled as soon as its client goes away.
///
/// Hummingbird does not cancel a handler when its client disconnects (and allows TCP half-close),
/// so a `ConnectionCloseWatcher` in each connection's pipeline reports the client's end of input
/// or the channel's closing here. A client that half-closes after sending its request is treated
/// as gone. O(1) per event; entries live as long as their connection.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var closed = false
        var callbacks: [Int: @Sendable () -> Void] = [:]
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var nextKey = 0
    }

    private let state = NIOLockedValueBox(State())

    /// Open connections being watched.
    var count: Int { state.withLockedValue { $0.entries.count } }

    func opened(_ id: ObjectIdentifier) {
        state.withLockedValue { $0.entries[id] = Entry() }
    }

    /// The client is gone: run (once) and drop the callbacks; keep the entry until `removed`.
    func closed(_ id: ObjectIdentifier) {
        let callbacks = state.withLockedValue { s -> [@Sendable () -> Void] in
            guard var entry = s.entries[id], !entry.closed else { return [] }
            entry.closed = true
            let callbacks = Array(entry.callbacks.values)
            entry.callbacks.removeAll()
            s.entries[id] = entry
            return callbacks
        }
        for callback in callbacks { callback() }
    }

    func removed(_ id: ObjectIdentifier) {
        closed(id)
        state.withLockedValue { _ = $0.entries.removeValue(forKey: id) }
    }

    /// Runs `callback` when connection `id` closes (at once if it already has). Returns a key for
    /// `cancel`, or nil when the callback ran already or the connection is not watched.
    func onClose(_ id: ObjectIdentifier, _ callback: @escaping @Sendable () -> Void) -> Int? {
        enum Outcome { case registered(Int), alreadyClosed, unknown }
        let outcome = state.withLockedValue { s -> Outcome in
            guard var entry = s.entries[id] else { return .unknown }
            if entry.closed { return .alreadyClosed }
            s.nextKey += 1
            entry.callbacks[s.nextKey] = callback
            s.entries[id] = entry
            return .registered(s.nextKey)
        }
        switch outcome {
        case .registered(let key): return key
        case .alreadyClosed: callback(); return nil
        case .unknown: return nil
        }
    }

    func cancel(_ id: ObjectIdentifier, key: Int) {
        state.withLockedValue { s in _ = s.entries[id]?.callbacks.removeValue(forKey: key) }
    }
}

/// A pipeline handler that tells a `ConnectionRegistry` when its connection's client is gone.
/// It passes every event on unchanged.
final class ConnectionCloseWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let registry: ConnectionRegistry
    private var channelID: ObjectIdentifier?

    init(registry: ConnectionRegistry) { self.registry = registry }

    func handlerAdded(context: ChannelHandlerContext) {
        let id = ObjectIdentifier(context.channel)
        channelID = id
        registry.opened(id)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let channelID { registry.removed(channelID) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let channelID { registry.closed(channelID) }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, let channelID {
            registry.closed(channelID)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
