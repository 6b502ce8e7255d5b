/// Finds a record's position in an array of records by its id, without a dictionary.
///
/// One monotonic generator issues every id and a product's records are appended in the order
/// they were created, so ids ascend with position and a binary search finds them: a dictionary
/// here cost ~60 bytes per record, more than the record's own fields. Should ids ever arrive
/// out of order (nothing known does that), the index notices on append and keeps a dictionary
/// from then on, so a lookup is never wrong.
struct IDPositions: Sendable {
    private var dictionary: [EntityID: Int]?

    /// The position of `id` in `records`.
    func position<Record>(of id: EntityID, in records: [Record], id key: (Record) -> EntityID) -> Int? {
        if let dictionary { return dictionary[id] }
        var low = 0
        var high = records.count
        while low < high {
            let middle = (low + high) / 2
            let found = key(records[middle])
            if found == id { return middle }
            if found < id { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// Records that `records` just had one record appended.
    mutating func appended<Record>(to records: [Record], id key: (Record) -> EntityID) {
        let last = records.count - 1
        if dictionary != nil {
            dictionary![key(records[last])] = last
        } else if last > 0, key(records[last - 1]) >= key(records[last]) {
            rebuild(for: records, id: key)
        }
    }

    /// Rebuilds the index for `records` (after records were removed, or decoded).
    mutating func rebuild<Record>(for records: [Record], id key: (Record) -> EntityID) {
        let ascending = zip(records, records.dropFirst()).allSatisfy { key($0) < key($1) }
        if ascending {
            dictionary = nil
        } else {
            var positions = [EntityID: Int](minimumCapacity: records.count)
            for (position, record) in records.enumerated() { positions[key(record)] = position }
            dictionary = positions
        }
    }

    /// Whether the index fell back to a dictionary (for tests).
    var usesDictionary: Bool { dictionary != nil }
}
