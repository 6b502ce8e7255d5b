import Logging
import PostgresNIO
import Synchronization

/// A statement that could not run: its connection is closed, or the database did not answer in time.
struct ConnectionLost: Error, CustomStringConvertible {
    let description: String
}

extension PostgresConnection {
    /// Runs `query`, failing instead of waiting forever when the connection is gone.
    ///
    /// PostgresNIO (1.33) loses a query written to a connection the server has already closed:
    /// it never completes. So a closed connection is refused up front, and a query that has
    /// not completed within `deadline` fails (it is abandoned; the caller drops the connection).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger, deadline: Duration = .seconds(10)) async throws -> PostgresRowSequence {
        guard !isClosed else { throw ConnectionLost(description: "the database connection is closed") }
        return try await withDeadline(deadline) { try await self.query(query, logger: logger) }
    }
}

/// What went wrong, in a line: the server's message when it sent one (PostgresNIO's errors hide
/// it, and show the query, by default).
func reason(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying as? PSQLError, let message = underlying.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }
    return "\(error)"
}

/// The result of `body`, or a ``ConnectionLost`` error once `deadline` has passed (leaving
/// `body` running: it may never end, which is why it cannot be awaited in a task group).
func withDeadline<T: Sendable>(_ deadline: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let pending = Once(continuation)
        let timer = Task {
            try await Task.sleep(for: deadline)
            pending.take()?.resume(throwing: ConnectionLost(description: "the database did not answer within \(deadline)"))
        }
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            timer.cancel()
            pending.take()?.resume(with: result)
        }
    }
}

/// A continuation resumed by whichever comes first.
private final class Once<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func take() -> CheckedContinuation<T, any Error>? {
        continuation.withLock { $0.take() }
    }
}
