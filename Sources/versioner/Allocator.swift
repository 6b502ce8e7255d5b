import CMalloc

/// Settings of the C allocator (glibc's malloc) for a long-running server.
enum Allocator {
    /// Serves every allocation of 128 KiB or more from a mapping of its own, unmapped when freed.
    ///
    /// glibc raises that threshold on its own each time such a block is freed, up to 32 MiB;
    /// after that, the large transient buffers of a server — a snapshot's encoding, a big
    /// answer, an array that doubled — come from the heap and stay resident once freed. Fixing
    /// the threshold keeps resident memory close to what the state holds (measured in
    /// Benchmarks/README.md). `GLIBC_TUNABLES` cannot undo this; it is the one setting we make.
    static func returnLargeBlocksWhenFreed() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        #endif
    }
}
