/// A list in ascending id order (creation order), to be read from its newest end.
struct AscendingSource<Element> {
    let count: Int
    let element: (Int) -> Element

    init(count: Int, element: @escaping (Int) -> Element) {
        self.count = count
        self.element = element
    }

    init(_ array: [Element]) {
        self.init(count: array.count, element: { array[$0] })
    }
}

extension PageRequest {
    /// Up to `limit + 1` matching items of all the sources, newest first, after the cursor: one
    /// more than a page, so that the caller knows whether a next page exists.
    ///
    /// A k-way merge: each source is entered at the cursor by binary search, then a heap yields
    /// the newest remaining item, so the cost grows with the page, not with the data.
    /// Each item comes with the number of the source it is from.
    func newest<Element>(merging sources: [AscendingSource<Element>], id: (Element) -> EntityID,
                         where matches: (Element) -> Bool) -> [(element: Element, source: Int)] {
        newest(merging: sources, key: id, before: cursor, where: matches)
    }

    /// The same for sources ascending by any `key` (a history list's own time, then id), the
    /// page starting after the item whose key is `before`.
    func newest<Element, Key: Comparable>(merging sources: [AscendingSource<Element>], key: (Element) -> Key, before cursor: Key?,
                                          where matches: (Element) -> Bool) -> [(element: Element, source: Int)] {
        var heap = MaxHeap<(key: Key, source: Int, index: Int)>(by: { $0.key < $1.key })
        for (number, source) in sources.enumerated() {
            let end = cursor.map { cursor in (0..<source.count).partitionPoint { key(source.element($0)) >= cursor } } ?? source.count
            if end > 0 { heap.push((key(source.element(end - 1)), number, end - 1)) }
        }
        var found: [(element: Element, source: Int)] = []
        while found.count <= limit, let top = heap.pop() {
            let source = sources[top.source]
            let element = source.element(top.index)
            if matches(element) { found.append((element, top.source)) }
            if top.index > 0 { heap.push((key(source.element(top.index - 1)), top.source, top.index - 1)) }
        }
        return found
    }

    /// The same for one source.
    func newest<Element>(_ items: [Element], id: (Element) -> EntityID, where matches: (Element) -> Bool) -> [Element] {
        newest(merging: [AscendingSource(items)], id: id, where: matches).map(\.element)
    }
}

/// A binary max-heap.
struct MaxHeap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    init(by less: @escaping (Element, Element) -> Bool) {
        self.less = less
    }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[parent], items[child]) else { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var largest = parent
            if left < items.count, less(items[largest], items[left]) { largest = left }
            if right < items.count, less(items[largest], items[right]) { largest = right }
            if largest == parent { break }
            items.swapAt(parent, largest)
            parent = largest
        }
        return top
    }
}
