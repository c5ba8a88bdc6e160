// swift-tools-version:5.10
// Report: the pure parts of sn-report, the one-page HTML report of an evaluation results tree: sn-score TSV
// and Snakemake benchmark parsing, geometric means and box-plot statistics, a sequential color scale, SVG
// heatmaps and box plots, thumbnails encoded as PNG in memory, base64, and the HTML page itself.
// Pure Swift on ImageCore's value types: no image codec (sn-report reads the TIFFs with MicroscopyIO).
import PackageDescription

let package = Package(
    name: "Report",
    products: [
        .library(name: "Report", targets: ["Report"]),
    ],
    dependencies: [
        .package(path: "../ImageCore"),
    ],
    targets: [
        .target(name: "Report", dependencies: [.product(name: "ImageCore", package: "ImageCore")]),
        .testTarget(name: "ReportTests", dependencies: ["Report", .product(name: "ImageCore", package: "ImageCore")]),
    ]
)
