// swift-tools-version:5.10
// Synthesis: synthetic fluorescence nuclei images with instance masks (randomly placed ellipses and
// star-convex shapes, widefield optics, a photon-counting camera) in a low-light "source" style
// and a high-saliency "target" style. Pure Swift on plain arrays; depends on Metrics, for the paper's
// SNR written to manifests, and NuclearScale, for its Gaussian blur.
import PackageDescription

let package = Package(
    name: "Synthesis",
    products: [
        .library(name: "Synthesis", targets: ["Synthesis"]),
    ],
    dependencies: [
        .package(path: "../Metrics"),
        .package(path: "../NuclearScale"),
    ],
    targets: [
        .target(name: "Synthesis", dependencies: [.product(name: "Metrics", package: "Metrics"),
                                                 .product(name: "NuclearScale", package: "NuclearScale")]),
        .testTarget(name: "SynthesisTests", dependencies: ["Synthesis", .product(name: "NuclearScale", package: "NuclearScale")]),
    ]
)
