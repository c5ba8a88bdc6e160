import Testing
@testable import ImageCore

@Suite("PhysicalCalibration")
struct PhysicalCalibrationTests {
    @Test("resampling keeps the field of view: pixel size times old size over new size; Z and T unchanged")
    func resampled() {
        let c = PhysicalCalibration(pixelWidth: 0.5, pixelHeight: 0.25, sliceSpacing: 2, unit: "µm", frameInterval: 3)
        let doubled = c.resampled(width: 100, height: 50, toWidth: 200, toHeight: 100)
        #expect(doubled == PhysicalCalibration(pixelWidth: 0.25, pixelHeight: 0.125, sliceSpacing: 2, unit: "µm", frameInterval: 3))
        // Rounded sides: 101 px scaled by 0.5 becomes 51 px (not 50.5), so the pixel is 0.5 * 101 / 51 wide.
        #expect(c.resampled(width: 101, height: 50, toWidth: 51, toHeight: 25).pixelWidth == 0.5 * 101 / 51)
        #expect(c.resampled(width: 0, height: 50, toWidth: 51, toHeight: 25) == c)
        #expect(PhysicalCalibration().resampled(width: 4, height: 4, toWidth: 2, toHeight: 2).isEmpty)
    }

    @Test("micrometre spellings become µm; sizes that are not positive and finite are dropped")
    func normalization() {
        for spelling in ["micron", "um", "µm", "\u{3BC}m", "\\u00B5m", " microns "] {
            #expect(PhysicalCalibration.normalizedLengthUnit(spelling) == "µm", "\(spelling)")
        }
        #expect(PhysicalCalibration.normalizedLengthUnit("nm") == "nm" && PhysicalCalibration.normalizedLengthUnit("  ") == nil)
        let c = PhysicalCalibration(pixelWidth: 0, pixelHeight: -1, sliceSpacing: .nan, unit: "", frameInterval: .infinity)
        #expect(c.isEmpty && c.unit == nil)
        #expect(PhysicalCalibration.metres(per: "micron") == 1e-6 && PhysicalCalibration.metres(per: "furlong") == nil)
    }
}
