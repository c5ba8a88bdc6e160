import Testing
@testable import TensorCore

/// All TensorCore tests live in this one serialized suite (extended by the other files): some
/// tests change the process-wide `Parallel.threadCount`, so no two tests run at once.
@Suite(.serialized)
struct TensorCoreTests {}

/// Runs `body` with `Parallel.threadCount` set to 1 and then 2, restoring the old value.
/// (`Parallel.withThreadCount`, so tests of other modules that need a steady count wait meanwhile.)
func forEachThreadCount(_ body: (Int) throws -> Void) rethrows {
    for threads in [1, 2] {
        try Parallel.withThreadCount(threads) { try body(threads) }
    }
}

/// A seeded source of test cases (shapes, sizes) built on the library's own generator.
struct Cases {
    var generator: PhiloxGenerator

    init(seed: UInt64) { generator = PhiloxGenerator(seed: seed, stream: 99) }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }

    /// A fresh seed for a tensor.
    mutating func seed() -> UInt64 { generator.next() }

    /// A uniform [-1, 1) tensor of the given shape.
    mutating func tensor(_ shape: [Int]) -> Tensor {
        Tensor.uniform(shape, low: -1, high: 1, seed: seed())
    }
}
