import Testing
@testable import ImageCore

@Suite("Image value types")
struct ImageTests {
    @Test("planes are row-major: pixel (row y, column x) is pixels[y * width + x]")
    func planeLayout() {
        var plane = ImagePlane(width: 3, height: 2, repeating: 7, sampleType: .uint16)
        #expect(plane.pixels == [Float](repeating: 7, count: 6) && plane.sampleType == .uint16)
        plane[1, 2] = 5
        #expect(plane.pixels[1 * 3 + 2] == 5 && plane[1, 2] == 5)
        #expect(ImagePlane(width: 0, height: 4).pixels.isEmpty)
        #expect(SampleType.allCases.map(\.bitsPerSample) == [8, 16, 32])
    }

    @Test("label images start as background, keep UInt32 labels exactly and report their largest label")
    func labelImage() {
        var labels = LabelImage(width: 2, height: 3)
        #expect(labels.labels == [0, 0, 0, 0, 0, 0] && labels.maximumLabel == 0)
        labels[2, 1] = UInt32.max - 1
        labels[0, 0] = 16_777_217  // 2^24 + 1: not representable in Float
        #expect(labels.labels[2 * 2 + 1] == UInt32.max - 1 && labels[0, 0] == 16_777_217)
        #expect(labels.maximumLabel == UInt32.max - 1)
    }
}
