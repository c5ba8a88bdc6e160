// swift-tools-version:5.10
// ImageCore: the image value types the image packages share: intensity planes (`ImagePlane` and its
// `SampleType`), instance label images (`LabelImage`) and percentile intensity normalization
// (`IntensityNormalization`). Pure Swift, no dependencies: a project that computes on images (Otsu, IoU)
// gets these types without linking an image codec; MicroscopyIO reads and writes them.
import PackageDescription

let package = Package(
    name: "ImageCore",
    products: [
        .library(name: "ImageCore", targets: ["ImageCore"]),
    ],
    targets: [
        .target(name: "ImageCore"),
        .testTarget(name: "ImageCoreTests", dependencies: ["ImageCore"]),
    ]
)
