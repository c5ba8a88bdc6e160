import Foundation
import ImageCore
import Testing
@testable import Segmentation

/// A slice of labels from rows of characters: '.' = 0, digits and letters = labels ("1" → 1, "a" → 10, ...).
func labelSlice(_ rows: [String]) -> [UInt32] {
    rows.flatMap { $0.map { c -> UInt32 in c == "." ? 0 : UInt32(String(c), radix: 36)! } }
}

/// Random axis-aligned boxes of labels 1… in a `w` × `h` slice (later boxes overwrite earlier ones).
func randomBoxes(_ rng: inout TestRandom, w: Int, h: Int, count: Int) -> [UInt32] {
    var s = [UInt32](repeating: 0, count: w * h)
    for l in 0..<count {
        let (bw, bh) = (1 + rng.int(max(1, w / 2)), 1 + rng.int(max(1, h / 2)))
        let (x0, y0) = (rng.int(w), rng.int(h))
        for y in y0..<min(h, y0 + bh) { for x in x0..<min(w, x0 + bw) { s[y * w + x] = UInt32(l + 1) } }
    }
    return s
}

@Suite struct StitchingTests {
    @Test func degenerateInputs() {
        #expect(ZStitching.stitch([], threshold: 0.5).isEmpty)
        // One slice: labels 1…K unchanged; other labels renumbered in increasing order.
        let one = labelSlice(["11.2", "..33"])
        #expect(ZStitching.stitch([one], threshold: 0.5) == [one])
        #expect(ZStitching.stitch([labelSlice(["5.9", "599"])], threshold: 0.5) == [labelSlice(["1.2", "122"])])
        // Empty slices stay empty; an object after an empty slice starts a new ID.
        let a = labelSlice(["11.", "11."])
        let empty = labelSlice(["...", "..."])
        #expect(ZStitching.stitch([empty, empty], threshold: 0.5) == [empty, empty])
        #expect(ZStitching.stitch([a, empty, a], threshold: 0.5) == [a, empty, labelSlice(["22.", "22."])])
        // Zero-size slices.
        #expect(ZStitching.stitch([[], []], threshold: 0.5) == [[], []])
    }

    @Test func oneIDThroughTheSlicesAnObjectSpans() {
        // A 2x2 square drifting one column a slice: IoU 2/6 = 0.33 between consecutive slices.
        let s0 = labelSlice(["11...", "11..."]), s1 = labelSlice([".11..", ".11.."]), s2 = labelSlice(["..11.", "..11."])
        #expect(ZStitching.stitch([s0, s1, s2], threshold: 0.3) == [s0, s1, s2])
        // Above the IoU: three objects.
        #expect(ZStitching.stitch([s0, s1, s2], threshold: 0.34)
                == [s0, labelSlice([".22..", ".22.."]), labelSlice(["..33.", "..33."])])
    }

    @Test func linksAreOneToOneAndTakeTheHighestIoUFirst() {
        // Slice 0: one object over 6 px. Slice 1: it split into a 4-px part (IoU 4/6) and a 1-px part (IoU 1/6).
        let s0 = labelSlice(["111111"])
        let s1 = labelSlice(["2222.1"])
        let out = ZStitching.stitch([s0, s1], threshold: 0.1)
        #expect(out[0] == labelSlice(["111111"]))
        #expect(out[1] == labelSlice(["1111.2"]))   // the better part continues, the other is new: never merged
        // Two objects merge into one in slice 1: only the better-overlapping one continues.
        let m0 = labelSlice(["11.222"]), m1 = labelSlice(["111111"])
        #expect(ZStitching.stitch([m0, m1], threshold: 0.2) == [m0, labelSlice(["222222"])])
        // Equal IoUs: the smaller label of the previous slice wins.
        let t0 = labelSlice(["11.22"]), t1 = labelSlice([".333."])
        #expect(ZStitching.stitch([t0, t1], threshold: 0.2) == [t0, labelSlice([".111."])])
    }

    @Test func noLinksAboveOneOrForNaN() {
        let s = labelSlice(["11.2"])
        let separate = [labelSlice(["11.2"]), labelSlice(["33.4"])]
        #expect(ZStitching.stitch([s, s], threshold: 1.5) == separate)
        #expect(ZStitching.stitch([s, s], threshold: .nan) == separate)
        #expect(ZStitching.stitch([s, s], threshold: 1) == [s, s])          // identical objects: IoU 1
    }

    /// On random stacks: every 2-D object keeps its pixels and gets one ID; two objects of one slice never
    /// share an ID; an ID lives in consecutive slices only, each link with IoU ≥ threshold.
    @Test func propertiesOnRandomStacks() {
        var rng = TestRandom(state: 11)
        for trial in 0..<200 {
            let (w, h, d) = (1 + rng.int(12), 1 + rng.int(12), 1 + rng.int(6))
            let threshold = [0.0, 0.2, 0.5, 0.8][trial % 4]
            let slices = (0..<d).map { _ in randomBoxes(&rng, w: w, h: h, count: rng.int(6)) }
            let out = ZStitching.stitch(slices, threshold: threshold)
            #expect(out.count == d)
            var slicesOfID: [UInt32: [Int]] = [:]
            for z in 0..<d {
                var idOf: [UInt32: UInt32] = [:], labelOf: [UInt32: UInt32] = [:]
                for i in 0..<(w * h) {
                    let (l, id) = (slices[z][i], out[z][i])
                    #expect((l == 0) == (id == 0))
                    guard l != 0 else { continue }
                    #expect(idOf[l, default: id] == id, "a 2-D object split")
                    #expect(labelOf[id, default: l] == l, "two 2-D objects of slice \(z) merged")
                    idOf[l] = id; labelOf[id] = l
                }
                for id in labelOf.keys { slicesOfID[id, default: []].append(z) }
            }
            #expect(Set(slicesOfID.keys) == Set((0..<slicesOfID.count).map { UInt32($0 + 1) }))
            for (id, zs) in slicesOfID {
                #expect(zs == Array(zs[0]...zs[zs.count - 1]), "ID \(id) has a gap")
                for z in zs.dropFirst() {
                    let a = out[z - 1].map { $0 == id }, b = out[z].map { $0 == id }
                    let inter = zip(a, b).filter { $0 && $1 }.count, union = zip(a, b).filter { $0 || $1 }.count
                    #expect(inter > 0 && Double(inter) / Double(union) >= threshold)
                }
            }
        }
    }
}

@Suite struct VolumeComponentTests {
    @Test func handMade() {
        // (0,0,0) and (1,1,1): corners touch across Z.
        var m = [UInt8](repeating: 0, count: 8)
        m[0] = 1; m[7] = 1
        #expect(VolumeComponents.label(width: 2, height: 2, depth: 2, connectivity: .eight) { m[$0] != 0 } == [1, 0, 0, 0, 0, 0, 0, 1])
        #expect(VolumeComponents.label(width: 2, height: 2, depth: 2, connectivity: .four) { m[$0] != 0 } == [1, 0, 0, 0, 0, 0, 0, 2])
        // A face across Z joins with both adjacencies; raster order of first voxel.
        let n: [UInt8] = [1, 0, 0, 0,  1, 0, 0, 1]
        #expect(VolumeComponents.label(width: 2, height: 2, depth: 2, connectivity: .four) { n[$0] != 0 } == [1, 0, 0, 0, 1, 0, 0, 2])
        #expect(VolumeComponents.label(width: 2, height: 2, depth: 2, connectivity: .eight) { n[$0] != 0 } == [1, 0, 0, 0, 1, 0, 0, 1])
        // Two columns of voxels (3 x 1 x 3) joined only in the last slice form one object; a lone voxel
        // two slices away from another is a separate object.
        let late: [UInt8] = [1, 0, 1,  1, 0, 1,  1, 1, 1]
        #expect(VolumeComponents.label(width: 3, height: 1, depth: 3, connectivity: .four) { late[$0] != 0 } == [1, 0, 1, 1, 0, 1, 1, 1, 1])
        let apart: [UInt8] = [0, 0, 1,  1, 0, 0,  1, 1, 0]
        #expect(VolumeComponents.label(width: 3, height: 1, depth: 3, connectivity: .eight) { apart[$0] != 0 } == [0, 0, 1, 2, 0, 0, 2, 2, 0])
        #expect(VolumeComponents.label(width: 0, height: 3, depth: 2, connectivity: .eight) { _ in true }.isEmpty)
        #expect(VolumeComponents.label([], connectivity: .eight).isEmpty)
    }

    @Test func agreesWithFloodFillOnRandomVolumes() {
        var rng = TestRandom(state: 7)
        for trial in 0..<300 {
            let (w, h, d) = (1 + rng.int(14), 1 + rng.int(14), 1 + rng.int(6))
            let p = rng.uniform()
            let m = (0..<(w * h * d)).map { _ in UInt8(rng.uniform() < p ? 1 : 0) }
            for c in Connectivity.allCases {
                let fast = VolumeComponents.label(width: w, height: h, depth: d, connectivity: c) { m[$0] != 0 }
                #expect(fast == Reference.labelVolume(m, width: w, height: h, depth: d, connectivity: c), "trial \(trial) \(c)")
            }
        }
    }

    @Test func oneSliceIsThe2DLabelling() {
        var rng = TestRandom(state: 3)
        for _ in 0..<50 {
            let (w, h) = (1 + rng.int(30), 1 + rng.int(30))
            let m = BinaryMask(width: w, height: h, pixels: (0..<(w * h)).map { _ in UInt8(rng.uniform() < 0.45 ? 1 : 0) })
            for c in Connectivity.allCases {
                #expect(VolumeComponents.label([m], connectivity: c) == [ConnectedComponents.label(m, connectivity: c)])
            }
        }
    }
}

@Suite struct VolumeSegmentationTests {
    /// A random image of bright boxes with holes on a noisy background.
    func blobs(_ rng: inout TestRandom, w: Int, h: Int, type: SampleType) -> ImagePlane {
        var p = (0..<(w * h)).map { _ in Float(100 + rng.int(40)) }
        for _ in 0..<6 {
            let (x0, y0, s) = (rng.int(w), rng.int(h), 2 + rng.int(8))
            for y in y0..<min(h, y0 + s) { for x in x0..<min(w, x0 + s) { p[y * w + x] = Float(600 + rng.int(300)) } }
            if s > 4 { p[min(h - 1, y0 + s / 2) * w + min(w - 1, x0 + s / 2)] = 100 }
        }
        return ImagePlane(width: w, height: h, pixels: p, sampleType: type)
    }

    @Test func oneSliceGivesThe2DLabels() {
        var rng = TestRandom(state: 5)
        for trial in 0..<40 {
            let plane = blobs(&rng, w: 20 + rng.int(30), h: 20 + rng.int(30), type: trial % 2 == 0 ? .uint16 : .float32)
            let methods: [ThresholdMethod] = [.otsu, .adaptive(LocalMeanThreshold(blockSize: 11, contrast: 0.1))]
            for method in methods {
                for c in Connectivity.allCases {
                    for fill in [false, true] {
                        for area in [0, 5] {
                            let s = ThresholdSegmenter(method: method, connectivity: c, fillHoles: fill, minimumArea: area)
                            #expect(s.segment(volume: [plane]) == [s.segment(plane)])
                        }
                    }
                }
            }
        }
        #expect(ThresholdSegmenter().segment(volume: []).isEmpty)
    }

    @Test func objectsKeepOneLabelAcrossSlices() {
        // A bright 3x3 square in slices 0-2 shifting right by one column a slice, and a bright pixel alone
        // in slice 3 (one Otsu threshold over the stack separates 0 from 100).
        let (w, h) = (8, 4)
        var slices: [ImagePlane] = []
        for z in 0..<4 {
            var p = [Float](repeating: 0, count: w * h)
            if z < 3 { for y in 0..<3 { for x in z..<(z + 3) { p[y * w + x] = 100 } } } else { p[3 * w + 7] = 100 }
            slices.append(ImagePlane(width: w, height: h, pixels: p, sampleType: .uint16))
        }
        let labels = ThresholdSegmenter().segment(volume: slices)
        #expect(labels.map(\.maximumLabel) == [1, 1, 1, 2])
        // The size filter looks at the widest cross-section: 9 px keeps the square, the 1-px object goes.
        let filtered = ThresholdSegmenter(minimumArea: 9).segment(volume: slices)
        #expect(filtered.map(\.maximumLabel) == [1, 1, 1, 0])
        #expect(ThresholdSegmenter(minimumArea: 10).segment(volume: slices).map(\.maximumLabel) == [0, 0, 0, 0])
    }

    @Test func oneOtsuThresholdForTheStack() {
        // Slice 0 holds only background noise (10 or 12); slice 1 a bright object (1000) on the same noise.
        // Per slice, Otsu would split slice 0's noise; over the stack it separates the object only.
        let (w, h) = (6, 6)
        let noise = (0..<(w * h)).map { Float($0 % 3 == 0 ? 12 : 10) }
        var bright = noise
        for i in [7, 8, 13, 14] { bright[i] = 1000 }
        let labels = ThresholdSegmenter().segment(volume: [ImagePlane(width: w, height: h, pixels: noise, sampleType: .uint16),
                                                           ImagePlane(width: w, height: h, pixels: bright, sampleType: .uint16)])
        #expect(labels[0].maximumLabel == 0)
        #expect(labels[1].labels.filter { $0 != 0 }.count == 4)
        #expect(ThresholdSegmenter().segment(ImagePlane(width: w, height: h, pixels: noise, sampleType: .uint16)).maximumLabel > 0)
    }
}
