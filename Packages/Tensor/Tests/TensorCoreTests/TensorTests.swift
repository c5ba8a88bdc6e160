import Foundation
import Synchronization
import Testing
@testable import TensorCore

extension TensorCoreTests {
    @Suite("Tensor storage and the parallel-for utility")
    struct TensorTests {
        @Test("shape, strides, subscripts, reshape, value semantics")
        func basics() {
            var x = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
            #expect(x.rank == 3 && x.count == 24 && x.strides == [12, 4, 1])
            #expect(x[1, 2, 3] == 23 && x[0, 1, 0] == 4)
            let copy = x
            x[0, 0, 0] = -1
            #expect(copy[0, 0, 0] == 0 && x[0, 0, 0] == -1)
            #expect(x.reshaped([6, -1]).shape == [6, 4])
            #expect(x.reshaped([24]).scalars == x.scalars)
            #expect(Tensor(3).shape == [] && Tensor(3).scalar == 3)
            #expect(Tensor.zeros([2, 0]).count == 0)
            #expect(Tensor.ones([2, 2]).scalars == [1, 1, 1, 1])
            #expect(Tensor.contiguousStrides(of: [2, 3, 4, 5]) == [60, 20, 5, 1])
        }

        @Test("forEachChunk covers the range once, in at most threadCount chunks of at least minimumChunk")
        func chunks() {
            forEachThreadCount { threads in
                for (count, minimum) in [(0, 1), (1, 1), (10, 100), (1000, 1), (100_001, 1000), (7, 3)] {
                    let seen = Mutex<[Range<Int>]>([])
                    Parallel.forEachChunk(count: count, minimumChunk: minimum) { r in
                        seen.withLock { $0.append(r) }
                    }
                    let ranges = seen.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
                    #expect(ranges.count <= threads)
                    #expect(ranges.map(\.count).reduce(0, +) == count)
                    for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                    if ranges.count > 1 { #expect(ranges.allSatisfy { $0.count >= minimum }) }
                }
            }
        }

        @Test("forEachBlock partitions by block size whatever the thread count")
        func blocks() {
            forEachThreadCount { _ in
                let seen = Mutex<[Int: Range<Int>]>([:])
                Parallel.forEachBlock(count: 1000, blockSize: 64) { b, r in seen.withLock { $0[b] = r } }
                let blocks = seen.withLock { $0 }
                #expect(blocks.count == 16 && Parallel.blockCount(count: 1000, blockSize: 64) == 16)
                for b in 0..<16 { #expect(blocks[b] == (b * 64)..<min(b * 64 + 64, 1000)) }
            }
        }

        /// The heap policy of the inference tools is accepted by the C library (results are unaffected:
        /// StarToolTests compares the tool's labels, under this policy, with the library's, bit for bit).
        @Test("Allocation.reuseFreedMemory is accepted by glibc")
        func heapPolicy() {
            #if canImport(Glibc)
            #expect(Allocation.reuseFreedMemory())
            #endif
        }

        @Test("threadCount is clamped to ≥ 1 and shared with OpenBLAS")
        func threadSetting() {
            let saved = Parallel.threadCount
            Parallel.threadCount = 0
            #expect(Parallel.threadCount == 1)
            Parallel.threadCount = 2
            #expect(Parallel.threadCount == 2)
            Parallel.threadCount = saved
            // Sections nest on their own thread; each restores what it found.
            Parallel.withThreadCount(1) {
                #expect(Parallel.threadCount == 1 && BLAS.openBLASThreadCount == 1)
                Parallel.withThreadCount(2) {
                    Parallel.withSteadyThreadCount { #expect(Parallel.threadCount == 2) }
                    Parallel.threadCount = 3
                    #expect(Parallel.threadCount == 3)
                }
                #expect(Parallel.threadCount == 1)
            }
            #expect(Parallel.threadCount == saved)
            Parallel.withSteadyThreadCount {
                Parallel.withSteadyThreadCount { #expect(Parallel.threadCount == saved) }
            }
            // A change from another thread waits for a steady section to end.
            let order = Mutex<[String]>([])
            let changerDone = DispatchSemaphore(value: 0)
            Parallel.withSteadyThreadCount {
                let changer = Thread {
                    Parallel.withThreadCount(1) { order.withLock { $0.append("changed") } }
                    changerDone.signal()   // after withThreadCount has restored the count
                }
                changer.start()
                usleep(50_000)
                order.withLock { $0.append("steady ends") }
            }
            changerDone.wait()
            #expect(order.withLock { $0 } == ["steady ends", "changed"])
            #expect(Parallel.threadCount == saved)
            #expect(Parallel.hardwareConcurrency >= 1)
            #expect(BLAS.configuration.contains("OpenBLAS"))
        }
    }
}
