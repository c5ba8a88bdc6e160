// swift-tools-version:5.10
// Metrics: segmentation scores of label images against ground truth: foreground IoU and its geometric
// mean, the paper's SNR, and instance matching (optimal one-to-one assignment at an IoU threshold:
// precision, recall, F1, accuracy, mean matched IoU, panoptic quality, as stardist.matching).
// Pure Swift on ImageCore's value types: no image codec.
import PackageDescription

let package = Package(
    name: "Metrics",
    products: [
        .library(name: "Metrics", targets: ["Metrics"]),
    ],
    dependencies: [
        .package(path: "../ImageCore"),
    ],
    targets: [
        .target(name: "Metrics", dependencies: [.product(name: "ImageCore", package: "ImageCore")]),
        .testTarget(
            name: "MetricsTests", dependencies: ["Metrics", .product(name: "ImageCore", package: "ImageCore")],
            exclude: ["Fixtures"]),
    ]
)
