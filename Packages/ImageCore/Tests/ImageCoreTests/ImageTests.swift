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

    @Test("a region crops planes and labels to the pixels it names; parsing and fitting reject bad regions")
    func regions() {
        let plane = ImagePlane(width: 5, height: 4, pixels: (0..<20).map(Float.init), sampleType: .uint16)
        let region = PixelRegion(x: 1, y: 2, width: 3, height: 2)
        let cut = plane.cropped(to: region)
        // Slow twin: pixel by pixel through the subscript.
        var expected: [Float] = []
        for r in 2..<4 { for c in 1..<4 { expected.append(plane[r, c]) } }
        #expect(cut.width == 3 && cut.height == 2 && cut.pixels == expected && cut.sampleType == .uint16)
        let labels = LabelImage(width: 5, height: 4, labels: (0..<20).map { UInt32($0) + 16_777_216 })
        #expect(labels.cropped(to: region).labels == expected.map { UInt32($0) + 16_777_216 })
        #expect(plane.cropped(to: PixelRegion(x: 0, y: 0, width: 5, height: 4)) == plane)
        #expect(PixelRegion(parsing: "1,2,3,2") == region && PixelRegion(parsing: " 1, 2 ,3,2") == region)
        #expect(region.description == "1,2,3,2")
        for bad in ["", "1,2,3", "1,2,3,2,5", "-1,0,2,2", "0,0,0,2", "a,b,c,d", "1.5,0,2,2"] {
            #expect(PixelRegion(parsing: bad) == nil, "\(bad)")
        }
        #expect(region.fits(width: 4, height: 4) && !region.fits(width: 3, height: 4) && !region.fits(width: 4, height: 3))
        #expect(!PixelRegion(x: Int.max, y: 0, width: 2, height: 1).fits(width: 10, height: 10))
    }
}
