/// One environment's deployments' packed times (``DeploymentTimes``), in the order of their
/// positions, with a summary of every block of ``blockSize`` of them: what a matrix of a past
/// instant reads. A block whose deployments had all received their last event by the instant
/// is read from its summary, a block whose deployments all came later is skipped, and only a
/// block the instant cuts through is scanned: a query reads every block's summary and the
/// times of the few blocks it cuts, not the times of every deployment the environment had.
struct InstantTimes: Sendable {
    /// Small, so that a cut block costs little to scan; the summaries cost 1.5 bytes a deployment.
    static let blockSize = 16

    /// What the deployments of one block add up to.
    struct Block: Sendable {
        /// The earliest first recording among them: an instant before it knows none of them.
        var firstCreated: Timestamp
        /// The latest last recording among them: an instant at or after it knows them all as they are now.
        var lastRecorded: Timestamp
        /// The index of the one that happened last (by ``DeploymentTimes/moment``, then index).
        var latest: Int32
        /// The index of the one completed last (by ``DeploymentTimes/completion``, then index);
        /// -1 when none is completed.
        var current: Int32
    }

    private(set) var times: [DeploymentTimes] = []
    private(set) var blocks: [Block] = []

    init() {}

    init(_ times: [DeploymentTimes]) {
        self.times = times
        blocks = stride(from: 0, to: times.count, by: Self.blockSize).map { summary(from: $0) }
    }

    /// Adds the times of the environment's newest deployment.
    mutating func append(_ deployment: DeploymentTimes) {
        times.append(deployment)
        resummarize(at: times.count - 1)
    }

    /// Replaces the times at `index` (its deployment received an event).
    mutating func update(at index: Int, _ deployment: DeploymentTimes) {
        times[index] = deployment
        resummarize(at: index)
    }

    /// Works out again the summary of the block that holds `index` (a new one past the last).
    private mutating func resummarize(at index: Int) {
        let block = index / Self.blockSize
        let summary = summary(from: block * Self.blockSize)
        if block == blocks.count { blocks.append(summary) } else { blocks[block] = summary }
    }

    /// The summary of the block that starts at `start`.
    private func summary(from start: Int) -> Block {
        let end = min(start + Self.blockSize, times.count)
        var block = Block(firstCreated: times[start].createdAt, lastRecorded: times[start].lastRecordedAt,
                          latest: Int32(start), current: -1)
        for index in start..<end {
            let deployment = times[index]
            block.firstCreated = min(block.firstCreated, deployment.createdAt)
            block.lastRecorded = max(block.lastRecorded, deployment.lastRecordedAt)
            // Ties go to the later index, as the scan of a past instant does.
            if deployment.moment >= times[Int(block.latest)].moment { block.latest = Int32(index) }
            if deployment.completion > .leastTime,
               block.current < 0 || deployment.completion >= times[Int(block.current)].completion {
                block.current = Int32(index)
            }
        }
        return block
    }

    /// The indexes of the block `block`'s deployments.
    func indices(ofBlock block: Int) -> Range<Int> {
        block * Self.blockSize..<min((block + 1) * Self.blockSize, times.count)
    }
}
