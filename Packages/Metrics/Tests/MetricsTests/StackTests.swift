import Foundation
import ImageCore
import Testing
@testable import Metrics

/// Random boxes of labels 1…count in a w × h × d volume (slice-major; later boxes overwrite earlier ones).
func randomVolume(_ rng: inout TestRandom, w: Int, h: Int, d: Int, count: Int) -> [UInt32] {
    var v = [UInt32](repeating: 0, count: w * h * d)
    func int(_ n: Int) -> Int { Int(rng.next() % UInt64(max(1, n))) }
    for l in 0..<count {
        let (x0, y0, z0) = (int(w), int(h), int(d))
        let (bw, bh, bd) = (1 + int(w / 2 + 1), 1 + int(h / 2 + 1), 1 + int(d))
        for z in z0..<min(d, z0 + bd) { for y in y0..<min(h, y0 + bh) { for x in x0..<min(w, x0 + bw) { v[(z * h + y) * w + x] = UInt32(l + 1) } } }
    }
    return v
}

/// The slices of a slice-major volume as label images.
func slices(_ v: [UInt32], w: Int, h: Int) -> [LabelImage] {
    stride(from: 0, to: v.count, by: w * h).map { LabelImage(width: w, height: h, labels: Array(v[$0..<($0 + w * h)])) }
}

@Suite struct StackMatchingTests {
    /// 3-D matching against the brute-force twin (objects as voxel sets, every assignment tried).
    @Test func agreesWithBruteForceOnRandomVolumes() throws {
        var rng = TestRandom(state: 21)
        for trial in 0..<300 {
            let (w, h, d) = (2 + Int(rng.next() % 8), 2 + Int(rng.next() % 8), 1 + Int(rng.next() % 5))
            let truth = randomVolume(&rng, w: w, h: h, d: d, count: Int(rng.next() % 6))
            let prediction = randomVolume(&rng, w: w, h: h, d: d, count: Int(rng.next() % 6))
            let threshold = [0.1, 0.3, 0.5, 0.7][trial % 4]
            let m = try InstanceMatching.match(prediction: slices(prediction, w: w, h: h), truth: slices(truth, w: w, h: h), threshold: threshold)
            let slow = Reference.match(prediction: prediction, truth: truth, threshold: threshold)
            #expect(m.tp == slow.tp, "trial \(trial)")
            #expect(abs(m.pairs.reduce(0) { $0 + $1.iou } - slow.sumIoU) < 1e-9, "trial \(trial)")
            #expect(try Scores.foregroundIoU(prediction: slices(prediction, w: w, h: h), truth: slices(truth, w: w, h: h))
                    == Scores.foregroundIoU(prediction: prediction, truth: truth))
        }
    }

    @Test func oneSliceScoresAsTheImage() throws {
        var rng = TestRandom(state: 4)
        for _ in 0..<50 {
            let t = randomVolume(&rng, w: 9, h: 7, d: 1, count: 5), p = randomVolume(&rng, w: 9, h: 7, d: 1, count: 5)
            let (ti, pi) = (LabelImage(width: 9, height: 7, labels: t), LabelImage(width: 9, height: 7, labels: p))
            #expect(try InstanceMatching.match(prediction: [pi], truth: [ti]) == InstanceMatching.match(prediction: pi, truth: ti))
            #expect(try Scores.foregroundIoU(prediction: [pi], truth: [ti]) == Scores.foregroundIoU(prediction: pi, truth: ti))
        }
    }

    /// One true nucleus through two slices; the prediction gives it a new label in the second slice, as a
    /// per-slice labelling would: in 3-D each part has IoU 4/8, one match and one false positive.
    @Test func objectsAreLabelsAcrossSlices() throws {
        let truth = [LabelImage(width: 2, height: 2, labels: [1, 1, 1, 1]), LabelImage(width: 2, height: 2, labels: [1, 1, 1, 1])]
        let split = [LabelImage(width: 2, height: 2, labels: [1, 1, 1, 1]), LabelImage(width: 2, height: 2, labels: [2, 2, 2, 2])]
        let m = try InstanceMatching.match(prediction: split, truth: truth, threshold: 0.5)
        #expect(m.nTrue == 1 && m.nPred == 2 && m.tp == 1 && m.fp == 1 && m.fn == 0 && m.pairs.first?.iou == 0.5)
        #expect(try InstanceMatching.match(prediction: split, truth: truth, threshold: 0.51).tp == 0)
        let whole = try InstanceMatching.match(prediction: truth, truth: truth)
        #expect(whole.tp == 1 && whole.f1 == 1)
    }

    @Test func mismatchedStacksThrow() {
        let a = [LabelImage(width: 4, height: 3), LabelImage(width: 4, height: 3)]
        let b = [LabelImage(width: 4, height: 3)]
        let error = MetricsError.stackMismatch(prediction: (4, 3, 2), truth: (4, 3, 1))
        #expect(throws: error) { try InstanceMatching.match(prediction: a, truth: b) }
        #expect(throws: error) { try Scores.foregroundIoU(prediction: a, truth: b) }
        #expect("\(error)" == "prediction is 4 x 3 px x 2 slices but truth is 4 x 3 px x 1 slices")
        #expect(throws: MetricsError.countMismatch(prediction: 2, truth: 3)) {
            try InstanceMatching.match(prediction: [1, 1], truth: [1, 1, 0])
        }
        #expect(throws: MetricsError.invalidThreshold(1.5)) { try InstanceMatching.match(prediction: a, truth: a, threshold: 1.5) }
    }
}

@Suite struct StackMergeTests {
    // Slices of 4 pixels. Truth: A = 1 in slices 0-1 (left half), B = 2 in slices 0-1 (right half).
    let truth: [UInt32] = [1, 1, 2, 2,  1, 1, 2, 2]

    @Test func countsObjectsLinkedAcrossTrueObjects() throws {
        #expect(try StackMerges.count(prediction: truth, truth: truth, sliceSize: 4) == 0)
        // Predicted object 1 is A in slice 0 and B in slice 1: a Z merge; object 2 is fine.
        #expect(try StackMerges.count(prediction: [1, 1, 2, 2,  2, 2, 1, 1], truth: truth, sliceSize: 4) == 2)
        #expect(try StackMerges.count(prediction: [1, 1, 2, 2,  3, 3, 1, 1], truth: truth, sliceSize: 4) == 1)
        #expect(try StackMerges.find(prediction: [1, 1, 2, 2,  3, 3, 1, 1], truth: truth, sliceSize: 4)
                == [ZMerge(prediction: 1, owners: [1, 2], ownersShareASlice: true, ownersKeptApartInEverySharedSlice: true)])
        // B missed by the prediction in slice 1 (which both nuclei share): not kept apart there.
        #expect(try StackMerges.find(prediction: [1, 1, 2, 2,  0, 0, 1, 1], truth: [1, 1, 2, 2,  1, 1, 2, 2], sliceSize: 4)
                == [ZMerge(prediction: 1, owners: [1, 2], ownersShareASlice: true, ownersKeptApartInEverySharedSlice: false)])
        // Nuclei one above the other (A in slice 0, B in slice 1, same pixels) joined: no slice holds both.
        #expect(try StackMerges.find(prediction: [1, 1, 0, 0,  1, 1, 0, 0], truth: [1, 1, 0, 0,  2, 2, 0, 0], sliceSize: 4)
                == [ZMerge(prediction: 1, owners: [1, 2], ownersShareASlice: false, ownersKeptApartInEverySharedSlice: false)])
    }

    @Test func inSliceMergesAndBackgroundHaveNoOwner() throws {
        // One object covering A and B equally in both slices: no owner in either slice, no Z merge.
        #expect(try StackMerges.count(prediction: [1, 1, 1, 1,  1, 1, 1, 1], truth: truth, sliceSize: 4) == 0)
        // Mostly background in slice 1 (3 of 4 pixels outside every nucleus): owned by A only.
        #expect(try StackMerges.count(prediction: [1, 1, 0, 0,  0, 0, 0, 0], truth: truth, sliceSize: 4) == 0)
        let t: [UInt32] = [1, 1, 0, 0,  0, 0, 0, 2]
        #expect(try StackMerges.count(prediction: [1, 1, 0, 0,  1, 1, 1, 1], truth: t, sliceSize: 4) == 0)
        #expect(try StackMerges.count(prediction: [], truth: [], sliceSize: 4) == 0)
        #expect(throws: MetricsError.self) { try StackMerges.count(prediction: [1], truth: [], sliceSize: 4) }
    }
}
