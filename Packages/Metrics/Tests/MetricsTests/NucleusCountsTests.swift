import Testing
@testable import Metrics

@Suite struct NucleusCountsTests {
    /// A hand-checked case: nucleus 1 is 3/4 covered (kept), nucleus 2 1/4 covered (missed), nucleus 3
    /// exactly half covered (kept: missed means *less* than half), object 9 lies on background only
    /// (invented), object 7 spans two nuclei (neither invented nor a miss).
    @Test func handCheckedCase() throws {
        let truth: [UInt32] = [1, 1, 0, 2, 2, 0, 3, 3,
                               1, 1, 0, 2, 2, 0, 3, 3]
        let pred: [UInt32] =  [7, 7, 0, 7, 0, 9, 4, 4,
                               7, 0, 0, 0, 0, 9, 0, 0]
        let c = try NucleusCounts.of(prediction: pred, truth: truth)
        #expect(c == NucleusCounts(truthNuclei: 3, predictedObjects: 3, missed: 1, invented: 1))
        #expect(abs(c.missedFraction - 1.0 / 3) < 1e-12 && abs(c.inventedFraction - 1.0 / 3) < 1e-12)
        #expect(try NucleusCounts.reference(prediction: pred, truth: truth) == c)
    }

    /// The fast count agrees with its slow twin on random volumes, Z stacks included.
    @Test func agreesWithReferenceOnRandomVolumes() throws {
        var rng = TestRandom(state: 77)
        for _ in 0..<300 {
            let (w, h, d) = (2 + Int(rng.next() % 9), 2 + Int(rng.next() % 9), 1 + Int(rng.next() % 3))
            let truth = randomVolume(&rng, w: w, h: h, d: d, count: Int(rng.next() % 7))
            let prediction = randomVolume(&rng, w: w, h: h, d: d, count: Int(rng.next() % 7))
            #expect(try NucleusCounts.of(prediction: prediction, truth: truth)
                    == NucleusCounts.reference(prediction: prediction, truth: truth))
        }
    }

    /// Degenerate input has defined results: empty arrays count nothing, an empty truth makes every object
    /// invented (fraction +∞, 0 when nothing is predicted), an empty prediction misses every nucleus, and
    /// different lengths throw.
    @Test func degenerateInput() throws {
        #expect(try NucleusCounts.of(prediction: [], truth: []) == NucleusCounts(truthNuclei: 0, predictedObjects: 0, missed: 0, invented: 0))
        let none = try NucleusCounts.of(prediction: [0, 5, 5], truth: [0, 0, 0])
        #expect(none.invented == 1 && none.inventedFraction == .infinity && none.missedFraction == 0)
        #expect(try NucleusCounts.of(prediction: [0, 0, 0], truth: [0, 0, 0]).inventedFraction == 0)
        let erased = try NucleusCounts.of(prediction: [0, 0, 0], truth: [2, 0, 8])
        #expect(erased.missed == 2 && erased.missedFraction == 1)
        #expect(throws: MetricsError.self) { try NucleusCounts.of(prediction: [1], truth: [1, 0]) }
        let sum = erased + none
        #expect(sum == NucleusCounts(truthNuclei: 2, predictedObjects: 1, missed: 2, invented: 1))
    }
}
