import Foundation

/// A fresh folder under the system's temporary directory, removed by `remove()`: shared by the
/// test targets that write files.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init() {
        path = FileManager.default.temporaryDirectory.appending(path: "versioner-test-\(UUID().uuidString)").path()
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
