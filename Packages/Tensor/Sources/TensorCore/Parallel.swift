#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization
import _CBLAS

/// Process-wide threading for TensorCore: one thread-count setting shared by the Swift kernels
/// and OpenBLAS, and a small parallel-for over contiguous chunks built on
/// `DispatchQueue.concurrentPerform`.
///
/// Every kernel in TensorCore produces bit-identical results whatever the thread count:
/// element-wise kernels compute each output element independently, reductions split their
/// input into blocks of a fixed size (not into one block per thread) and add the block results
/// in block order, and the random generators are counter-based. OpenBLAS's `sgemm` does round
/// differently with 1 and 2 threads (0.3.21: a few percent of the entries of typical convolution
/// products differ in the last bits), so network outputs depend on the thread count at that
/// level; the BLAS gate (`BLASGate`) keeps the count steady under each product.
///
/// Small problems run on the calling thread: a chunk is never smaller than `minimumChunk`
/// elements (default ``defaultMinimumChunk``), so a 1,000-element add does not pay the
/// ~10 µs of waking a second thread.
public enum Parallel {
    /// The number of elements below which work is not split (32 Ki elements = 128 KiB of
    /// Float32 per chunk: about 5–10 µs of streaming work, comparable to the cost of a
    /// thread hand-off).
    public static let defaultMinimumChunk = 32 * 1024

    /// The number of online processors (`sysconf(_SC_NPROCESSORS_ONLN)`, at least 1).
    public static var hardwareConcurrency: Int {
        Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Backing store for ``threadCount``; 0 means "not yet initialised".
    private static let storedThreadCount = Atomic<Int>(0)

    /// The number of threads TensorCore kernels and OpenBLAS use (≥ 1).
    ///
    /// Initially OpenBLAS's own default (`openblas_get_num_threads()`, which honours the
    /// `OPENBLAS_NUM_THREADS` environment variable and otherwise equals the number of cores).
    /// Setting it also calls `openblas_set_num_threads`, so both halves of the library agree.
    /// Values below 1 are clamped to 1. (Tools also call
    /// ``BLAS/setWorkerSpinTimeout(log2Cycles:)`` at start-up.) This is process-wide state: set it
    /// once at start-up, or between measurements in a benchmark. A change waits for running BLAS
    /// products and ``withSteadyThreadCount(_:)`` sections; kernels running on other threads pick it
    /// up from their next step on, so their results may round differently. For a temporary count use
    /// ``withThreadCount(_:_:)``.
    public static var threadCount: Int {
        get {
            let n = storedThreadCount.load(ordering: .relaxed)
            if n > 0 { return n }
            let initial = max(1, Int(openblas_get_num_threads()))
            let (exchanged, original) = storedThreadCount.compareExchange(
                expected: 0, desired: initial, ordering: .relaxed)
            return exchanged ? initial : original
        }
        set {
            SettingGate.exclusive { store(newValue) }
        }
    }

    /// Sets the count in both halves, between two BLAS products.
    private static func store(_ newValue: Int) {
        let n = max(1, newValue)
        BLASGate.exclusive {
            storedThreadCount.store(n, ordering: .relaxed)
            openblas_set_num_threads(Int32(clamping: n))
        }
    }

    /// Runs `body` with ``threadCount`` set to `threads` (clamped to ≥ 1) and restores the previous
    /// count afterwards. Changes by other threads (the setter, their `withThreadCount` sections) wait
    /// until it returns, and it waits for other threads' ``withSteadyThreadCount(_:)`` sections.
    /// Kernels that other threads run meanwhile use the new count too. On its own thread, `body` may
    /// nest `withThreadCount`, set the count and open steady sections.
    public static func withThreadCount<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try SettingGate.exclusive {
            let saved = threadCount
            store(threads)
            defer { store(saved) }
            return try body()
        }
    }

    /// Runs `body` while no other thread changes ``threadCount``: their changes wait until it (and every
    /// other steady section) returns. Results that must be bit-identical to another run's, such as a
    /// library result compared with a tool's in a test that runs beside tests changing the count, are
    /// computed this way: OpenBLAS rounds differently with different thread counts. Sections nest.
    ///
    /// - Precondition: `body` does not change the count itself (that would wait for its own section).
    public static func withSteadyThreadCount<R>(_ body: () throws -> R) rethrows -> R {
        try SettingGate.shared(body)
    }

    /// Runs `body` once per chunk of `0..<count`, the chunks being contiguous, disjoint,
    /// covering the range in order, at most ``threadCount`` of them and none smaller than
    /// `minimumChunk` (except when `count` itself is smaller). With one chunk `body` runs on
    /// the calling thread. `body` may run concurrently with itself; it must only write
    /// memory that belongs to its own chunk.
    ///
    /// - Parameters:
    ///   - count: number of work items (elements, rows, …); nothing happens when ≤ 0.
    ///   - minimumChunk: the smallest chunk worth a thread, in the same unit as `count`.
    ///   - body: called with the half-open range of items of one chunk.
    @inlinable
    public static func forEachChunk(
        count: Int, minimumChunk: Int = defaultMinimumChunk, _ body: (Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let chunks = Swift.min(threadCount, Swift.max(1, count / Swift.max(1, minimumChunk)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            body((count * i / chunks)..<(count * (i + 1) / chunks))
        }
    }

    /// Runs `body` for every block of `0..<count` cut into blocks of exactly `blockSize`
    /// items (the last may be shorter). Block boundaries do not depend on the thread count,
    /// which is what makes parallel reductions reproducible: each block writes its own partial
    /// result, indexed by its block number, and the caller combines them in block order.
    /// Blocks are handed to at most ``threadCount`` workers in contiguous runs.
    ///
    /// - Parameters:
    ///   - count: number of items; nothing happens when ≤ 0.
    ///   - blockSize: items per block (≥ 1).
    ///   - body: called with the block number `b` and its range
    ///     `b·blockSize ..< min((b+1)·blockSize, count)`.
    @inlinable
    public static func forEachBlock(
        count: Int, blockSize: Int, _ body: (_ block: Int, _ range: Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let size = Swift.max(1, blockSize)
        let blocks = (count + size - 1) / size
        let workers = Swift.min(threadCount, blocks)
        if workers == 1 {
            for b in 0..<blocks { body(b, (b * size)..<Swift.min((b + 1) * size, count)) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let first = blocks * w / workers, last = blocks * (w + 1) / workers
            for b in first..<last { body(b, (b * size)..<Swift.min((b + 1) * size, count)) }
        }
    }

    /// Number of blocks ``forEachBlock(count:blockSize:_:)`` uses: `⌈count / blockSize⌉`.
    @inlinable
    public static func blockCount(count: Int, blockSize: Int) -> Int {
        count <= 0 ? 0 : (count + Swift.max(1, blockSize) - 1) / Swift.max(1, blockSize)
    }
}
