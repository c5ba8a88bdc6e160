// swift-tools-version:5.10
// Segmentation: fixed-parameter nuclei segmentation of fluorescence images: global Otsu and local-mean
// adaptive thresholds, connected-component labelling (4/8), hole filling and small-object removal
// (module `Segmentation`, pure Swift on plain arrays), and the star-convex polygon segmenter in the manner
// of StarDist (module `StarSegmentation`, a U-Net on NN). Images are ImageCore's value types: no image codec.
import PackageDescription

let package = Package(
    name: "Segmentation",
    products: [
        .library(name: "Segmentation", targets: ["Segmentation"]),
        .library(name: "StarSegmentation", targets: ["StarSegmentation"]),
    ],
    dependencies: [
        .package(path: "../ImageCore"),
        .package(path: "../Tensor"),
        .package(path: "../NN"),
        .package(path: "../Metrics"),
        .package(path: "../NuclearScale"),
    ],
    targets: [
        // NuclearScale: the Gaussian blur of the enhancement trust report (EnhancementTrust.swift).
        .target(name: "Segmentation", dependencies: [.product(name: "ImageCore", package: "ImageCore"),
                                                     .product(name: "NuclearScale", package: "NuclearScale")]),
        // The star-convex polygon segmenter (StarDist-style U-Net on NN); Segmentation itself stays pure.
        .target(
            name: "StarSegmentation",
            dependencies: [
                "Segmentation",
                .product(name: "ImageCore", package: "ImageCore"),
                .product(name: "TensorCore", package: "Tensor"),
                .product(name: "NN", package: "NN"),
                .product(name: "Metrics", package: "Metrics"),
                .product(name: "NuclearScale", package: "NuclearScale"),
            ]),
        // StarToolTests.swift runs the built `sn-segment`, a tool of the root package, and reads and writes
        // TIFF: it is compiled and run by the root package's SegmentationTests target (scripts/test.sh) only.
        .testTarget(
            name: "SegmentationTests",
            dependencies: [
                "Segmentation", "StarSegmentation",
                .product(name: "ImageCore", package: "ImageCore"),
                .product(name: "Metrics", package: "Metrics"),
                .product(name: "TensorCore", package: "Tensor"),
                .product(name: "NN", package: "NN"),
                .product(name: "NuclearScale", package: "NuclearScale"),
            ],
            exclude: ["Fixtures", "StarToolTests.swift"]),
    ]
)
