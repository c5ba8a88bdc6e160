import Dispatch
import Synchronization
import Testing
@testable import TensorCore
import _CBLAS

extension TensorCoreTests {
    @Suite("Matrix multiply through cblas_sgemm")
    struct MatrixMultiplyTests {
        @Test("known values, both transposes")
        func knownValues() {
            let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
            let b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
            #expect(Tensor.matmul(a, b).scalars == [58, 64, 139, 154])
            #expect(Tensor.matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true).scalars == [58, 64, 139, 154])
            #expect(Tensor.matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
            #expect(Tensor.matmul(a, a, transposeA: true).shape == [3, 3])
            #expect(a.transposed().scalars == [1, 4, 2, 5, 3, 6])
        }

        /// Tolerance: |fast − naive| ≤ 1e-5·K + 1e-4·|naive| (inputs in [-1, 1), naive in Float64).
        @Test("matmul ≈ Reference.matmul: random odd sizes, all four transpose combinations, 1 and 2 threads")
        func agreesWithReference() {
            var cases = Cases(seed: 3)
            var sizes: [(Int, Int, Int)] = [(1, 1, 1), (1, 17, 1), (33, 1, 65), (64, 64, 64), (127, 129, 131)]
            for _ in 0..<8 { sizes.append((cases.int(1...70), cases.int(1...70), cases.int(1...70))) }
            forEachThreadCount { _ in
                for (m, k, n) in sizes {
                    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                        let a = cases.tensor(ta ? [k, m] : [m, k])
                        let b = cases.tensor(tb ? [n, k] : [k, n])
                        let fast = Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
                        let slow = Reference.matmul(a, b, transposeA: ta, transposeB: tb)
                        #expect(fast.isApproximatelyEqual(to: slow, absoluteTolerance: 1e-5 * Float(k), relativeTolerance: 1e-4),
                                "m=\(m) k=\(k) n=\(n) ta=\(ta) tb=\(tb) maxdiff=\(fast.maxAbsoluteDifference(slow))")
                    }
                }
            }
        }

        /// Independent GEMMs side by side (each core one-thread OpenBLAS) give the same products as
        /// one after another, every index runs once, and the thread count is restored.
        @Test("concurrentCalls: same products as in order, each index once, thread count restored, 1 and 2 threads")
        func concurrentCalls() {
            var cases = Cases(seed: 35)
            let count = 7, (m, n, k) = (9, 13, 11)
            let a = (0..<count).map { _ in cases.tensor([m, k]) }, b = (0..<count).map { _ in cases.tensor([k, n]) }
            forEachThreadCount { threads in
                var out = [Float](repeating: .nan, count: count * m * n)
                let calls = UnsafeMutablePointer<Int>.allocate(capacity: count)
                calls.initialize(repeating: 0, count: count)
                defer { calls.deallocate() }
                out.withUnsafeMutableBufferPointer { o in
                    let base = o.baseAddress!
                    BLAS.concurrentCalls(count: count) { i in
                        calls[i] += 1
                        a[i].withUnsafeBufferPointer { ap in
                            b[i].withUnsafeBufferPointer { bp in
                                BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                                           c: base + i * m * n, ldc: n)
                            }
                        }
                    }
                }
                #expect((0..<count).allSatisfy { calls[$0] == 1 })
                #expect(Parallel.threadCount == threads)
                for i in 0..<count {
                    let c = Tensor(shape: [m, n], scalars: Array(out[(i * m * n)..<((i + 1) * m * n)]))
                    #expect(c.isApproximatelyEqual(to: Reference.matmul(a[i], b[i]), absoluteTolerance: 1e-5 * Float(k), relativeTolerance: 1e-4))
                }
                // A later GEMM still runs with the full thread count (OpenBLAS restored).
                #expect(BLAS.openBLASThreadCount == threads)
            }
        }

        /// OpenBLAS rounds differently with 1 and 2 threads (here: a few percent of this product's entries), and
        /// `concurrentCalls` sets it to one thread for a while. A product started on another thread meanwhile must
        /// still run with the full count: the BLAS gate makes it wait. Here one thread keeps running
        /// `concurrentCalls` while another repeats a product and reads the setting a product sees
        /// (`BLAS.openBLASThreadCount`): every read must be 2 (this holds on any CPU), and every repeat must equal
        /// the first, bit for bit (which shows the consequence where 1 and 2 threads round differently). Without
        /// the gate, 59 of 60 repeats differed here.
        @Test("a product on another thread is not run with concurrentCalls' one thread: bit-identical repeats")
        func concurrentCallsLeaveOtherThreadsAlone() {
            var cases = Cases(seed: 36)
            let (m, k, n) = (64, 576, 1024)
            let a = cases.tensor([m, k]), b = cases.tensor([k, n])
            func product() -> [Float] {
                var c = [Float](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                                       c: cp.baseAddress!, ldc: n)
                        }
                    }
                }
                return c
            }
            Parallel.withThreadCount(2) {
                let reference = product()
                let small = (0..<8).map { _ in (cases.tensor([48, 96]), cases.tensor([96, 200])) }
                let done = Atomic<Bool>(false)
                var differing = 0, oneThreadReads = 0
                DispatchQueue.concurrentPerform(iterations: 2) { worker in
                    if worker == 0 {
                        for _ in 0..<60 {
                            if product() != reference { differing += 1 }
                            for _ in 0..<50 where BLAS.openBLASThreadCount != 2 { oneThreadReads += 1 }
                        }
                        done.store(true, ordering: .releasing)
                    } else {
                        var sink = [Float](repeating: 0, count: small.count * 48 * 200)
                        while !done.load(ordering: .acquiring) {
                            sink.withUnsafeMutableBufferPointer { o in
                                let base = o.baseAddress!
                                BLAS.concurrentCalls(count: small.count) { i in
                                    small[i].0.withUnsafeBufferPointer { ap in
                                        small[i].1.withUnsafeBufferPointer { bp in
                                            BLAS.sgemm(m: 48, n: 200, k: 96, a: ap.baseAddress!, lda: 96, b: bp.baseAddress!,
                                                       ldb: 200, c: base + i * 48 * 200, ldc: 200)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                #expect(oneThreadReads == 0, "a product would have run with one thread \(oneThreadReads) times")
                #expect(differing == 0, "\(differing) of 60 repeats differed from the first")
                #expect(BLAS.openBLASThreadCount == 2)
            }
        }

        @Test("raw sgemm: alpha/beta accumulate form with leading dimensions")
        func accumulate() {
            var cases = Cases(seed: 4)
            let a = cases.tensor([5, 7]), b = cases.tensor([7, 4])
            var c = cases.tensor([5, 6])  // C is 5×4 inside a 5×6 buffer (ldc = 6)
            let original = c
            c.withUnsafeMutableBufferPointer { pc in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        BLAS.sgemm(m: 5, n: 4, k: 7, alpha: 2, a: pa.baseAddress!, lda: 7,
                                   b: pb.baseAddress!, ldb: 4, beta: 0.5, c: pc.baseAddress!, ldc: 6)
                    }
                }
            }
            let product = Reference.matmul(a, b)
            for i in 0..<5 {
                for j in 0..<6 {
                    let expected = j < 4 ? 2 * product[i, j] + 0.5 * original[i, j] : original[i, j]
                    #expect(Swift.abs(c[i, j] - expected) <= 1e-5)
                }
            }
        }
    }
}
