import Testing
@testable import TensorCore

extension TensorCoreTests {
    @Suite("Element-wise arithmetic and broadcasting")
    struct ArithmeticTests {
        @Test("known values: operators, scalars, negation, in place")
        func knownValues() {
            let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
            let row = Tensor(shape: [3], scalars: [10, 20, 30])
            let column = Tensor(shape: [2, 1], scalars: [100, 200])
            #expect((a + row).scalars == [11, 22, 33, 14, 25, 36])
            #expect((a * column).scalars == [100, 200, 300, 800, 1000, 1200])
            #expect((row - column).shape == [2, 3])
            #expect((row - column).scalars == [-90, -80, -70, -190, -180, -170])
            #expect((a / 2).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
            #expect((1 - a).scalars == [0, -1, -2, -3, -4, -5])
            #expect((2 * a + 1).scalars == [3, 5, 7, 9, 11, 13])
            #expect((12 / a).scalars == [12, 6, 4, 3, 2.4, 2])
            #expect((-a).scalars == [-1, -2, -3, -4, -5, -6])
            #expect((a - 3.5).max(0).scalars == [0, 0, 0, 0.5, 1.5, 2.5])
            #expect(a.min(2).scalars == [1, 2, 2, 2, 2, 2])
            #expect(Tensor.maximum(a, row / 10).scalars == [1, 2, 3, 4, 5, 6])
            #expect(a.clamped(to: 2...4).scalars == [2, 2, 3, 4, 4, 4])
            var b = a
            b += row
            b -= 1
            b *= Tensor(shape: [2, 1], scalars: [1, -1])
            b /= 2
            #expect(b.scalars == [5, 10.5, 16, -6.5, -12, -17.5])  // ((a + row − 1) · [1; −1]) / 2
            #expect(a.scalars == [1, 2, 3, 4, 5, 6])  // value semantics
        }

        @Test("known values: unary maps")
        func unary() {
            let x = Tensor(shape: [4], scalars: [-2, 0, 1, 4])
            #expect(x.abs().scalars == [2, 0, 1, 4])
            #expect(x.squared().scalars == [4, 0, 1, 16])
            #expect(x.relu().scalars == [0, 0, 1, 4])
            #expect(Tensor(shape: [2], scalars: [4, 9]).sqrt().scalars == [2, 3])
            #expect(Swift.abs(Tensor(shape: [1], scalars: [1]).exp().scalars[0] - 2.7182817) < 1e-6)
            #expect(Tensor(shape: [1], scalars: [1]).log().scalars == [0])
            #expect(Tensor(shape: [1], scalars: [0]).sigmoid().scalars == [0.5])
            #expect(Tensor(shape: [1], scalars: [0]).tanh().scalars == [0])
            #expect(x.map { $0 * 3 }.scalars == [-6, 0, 3, 12])
        }

        /// The fast broadcasting kernel must equal the naive one exactly: both compute
        /// `op.apply(a, b)` once per output element.
        @Test("fast kernel == Reference.elementwise exactly, random broadcast shapes, 1 and 2 threads")
        func agreesWithReference() {
            var cases = Cases(seed: 7)
            var pairs: [([Int], [Int])] = [
                ([2, 3], [2, 3]), ([5, 7], []), ([], [3, 4]), ([2, 3, 5, 7], [1, 3, 1, 1]),
                ([1, 3, 1, 1], [2, 3, 5, 7]), ([4, 6], [6]), ([4, 1], [1, 6]), ([2, 1, 3], [7, 1]),
                ([3, 100, 257], [3, 1, 257]), ([2, 64, 33, 31], [1, 64, 1, 1]), ([130_000], [1]),
                ([1], [1]), ([0, 3], [3]),
            ]
            for _ in 0..<20 {
                let rank = cases.int(1...4)
                let full = (0..<rank).map { _ in cases.int(1...9) }
                let other = full.map { cases.int(0...2) == 0 ? 1 : $0 }.suffix(cases.int(0...rank))
                pairs.append(cases.int(0...1) == 0 ? (full, Array(other)) : (Array(other), full))
            }
            forEachThreadCount { _ in
                for (sa, sb) in pairs {
                    let a = cases.tensor(sa)
                    let b = cases.tensor(sb).map { $0 == 0 ? 0.5 : $0 }
                    for op in BinaryOperation.allCases {
                        let fast = Tensor.elementwise(op, a, b)
                        let slow = Reference.elementwise(op, a, b)
                        #expect(fast == slow, "\(op) \(sa) \(sb)")
                    }
                    if (try? Tensor.broadcastShape(sa, sb)) == sa {
                        var c = a
                        c.formElementwise(.subtract, b)
                        #expect(c == Reference.elementwise(.subtract, a, b), "in place \(sa) \(sb)")
                    }
                }
                let x = cases.tensor([3, 40_001]).map { $0 + 1.5 }
                for op in UnaryOperation.allCases {
                    #expect(x.map(op) == Reference.map(op, x), "\(op)")
                }
            }
        }
    }
}
