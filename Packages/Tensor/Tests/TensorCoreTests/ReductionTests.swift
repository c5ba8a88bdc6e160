import Testing
@testable import TensorCore

extension TensorCoreTests {
    @Suite("Reductions: sum, mean, population variance")
    struct ReductionTests {
        @Test("known values over axes and over all elements")
        func knownValues() {
            // x[i, j] = 3i + j + 1 for a [2, 3] tensor: [[1, 2, 3], [4, 5, 6]].
            let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
            #expect(x.sum() == 21)
            #expect(x.mean() == 3.5)
            #expect(x.variance() == Float(35.0 / 12.0))  // population: Σ(x−3.5)²/6 = 17.5/6
            #expect(x.sum(axes: [0]).scalars == [5, 7, 9])
            #expect(x.sum(axes: [0]).shape == [3])
            #expect(x.sum(axes: [1], keepDims: true).shape == [2, 1])
            #expect(x.sum(axes: [1], keepDims: true).scalars == [6, 15])
            #expect(x.sum(axes: [-1]).scalars == [6, 15])
            #expect(x.sum(axes: [0, 1]).shape == [])
            #expect(x.sum(axes: [0, 1]).scalars == [21])
            #expect(x.mean(axes: [0]).scalars == [2.5, 3.5, 4.5])
            #expect(x.mean(axes: [1]).scalars == [2, 5])
            #expect(x.variance(axes: [0]).scalars == [2.25, 2.25, 2.25])  // ((1−2.5)² + (4−2.5)²)/2
            #expect(x.variance(axes: [1]).scalars == [2.0 / 3.0, 2.0 / 3.0])  // (1 + 0 + 1)/3
            #expect(x.sum(axes: []).scalars == x.scalars)
            // Per-channel statistics of an NCHW batch, as batch normalisation uses them.
            let y = Tensor(shape: [2, 2, 1, 2], scalars: [1, 3, 10, 10, 5, 7, 20, 20])
            #expect(y.mean(axes: [0, 2, 3], keepDims: true).shape == [1, 2, 1, 1])
            #expect(y.mean(axes: [0, 2, 3], keepDims: true).scalars == [4, 15])
            #expect(y.variance(axes: [0, 2, 3]).scalars == [5, 25])
        }

        /// Tolerances (fast Float32-SIMD-within-blocks vs naive Float64, inputs in [-1, 1)):
        /// sum: |Δ| ≤ 1e-5·Σ|x| + 1e-5 per output; mean: same divided by n;
        /// variance: |Δ| ≤ 1e-5·var + 1e-6.
        @Test("fast reductions ≈ Reference, random shapes and axes, 1 and 2 threads (and identical across them)")
        func agreesWithReference() {
            var cases = Cases(seed: 11)
            var specs: [([Int], [Int])] = [
                ([2, 3, 4, 5], [2, 3]), ([2, 3, 4, 5], [0, 2, 3]), ([2, 3, 4, 5], [1]), ([4, 5], [0]),
                ([7, 50_000], [1]), ([70_000, 3], [0]), ([3, 200, 300], [1]), ([100_003], [0]),
                ([2, 64, 40, 40], [0, 2, 3]), ([5], []),
            ]
            for _ in 0..<15 {
                let rank = cases.int(1...4)
                let shape = (0..<rank).map { _ in cases.int(1...11) }
                let axes = (0..<rank).filter { _ in cases.int(0...1) == 1 }
                specs.append((shape, axes))
            }
            let inputs = specs.map { (cases.tensor($0.0), $0.1) }
            var firstRun: [Tensor] = []
            var results: [Tensor] = []
            forEachThreadCount { threads in
                results = []
                for (x, axes) in inputs {
                    let shape = x.shape
                    let n = Float(axes.reduce(1) { $0 * shape[$1] })
                    let absSum = Reference.sum(x.abs(), axes: axes)
                    for keep in [false, true] {
                        let s = x.sum(axes: axes, keepDims: keep)
                        let m = x.mean(axes: axes, keepDims: keep)
                        let v = x.variance(axes: axes, keepDims: keep)
                        let rs = Reference.sum(x, axes: axes, keepDims: keep)
                        let rm = Reference.mean(x, axes: axes, keepDims: keep)
                        let rv = Reference.variance(x, axes: axes, keepDims: keep)
                        #expect(s.shape == rs.shape && m.shape == rm.shape && v.shape == rv.shape)
                        for i in 0..<rs.count {
                            let tol = 1e-5 * absSum.scalars[i] + 1e-5
                            #expect(Swift.abs(s.scalars[i] - rs.scalars[i]) <= tol, "sum \(shape) \(axes)")
                            #expect(Swift.abs(m.scalars[i] - rm.scalars[i]) <= tol / n, "mean \(shape) \(axes)")
                            #expect(Swift.abs(v.scalars[i] - rv.scalars[i]) <= 1e-5 * rv.scalars[i] + 1e-6, "variance \(shape) \(axes)")
                        }
                        results += [s, m, v]
                    }
                    let all = Reference.sum(x, axes: Array(0..<shape.count))
                    #expect(Swift.abs(x.sum() - all.scalar) <= 1e-5 * x.abs().sum() + 1e-5)
                    #expect(Swift.abs(x.mean() - all.scalar / Float(x.count)) <= 1e-5)
                    let rv = Reference.variance(x, axes: Array(0..<shape.count)).scalar
                    #expect(Swift.abs(x.variance() - rv) <= 1e-5 * rv + 1e-6)
                    results.append(Tensor(x.sum()))
                }
                if threads == 1 {
                    firstRun = results
                } else {
                    #expect(results == firstRun, "results must not depend on the thread count")
                }
            }
        }
    }
}
