// swift-tools-version:5.10
// NuclearScale: the nucleus size of fluorescence images, and moving images between nucleus sizes.
// - estimation of the median nucleus diameter of a plane or stack from the image alone (objects measured
//   at their own edge level over a Gaussian pyramid of smoothing levels), robust to photon noise, haze,
//   texture and uneven illumination;
// - the median equivalent diameter of instance masks;
// - anti-aliased separable resampling (shrinking averages over the footprint, growing interpolates), with
//   the scale that brings an image's nuclei to a model's diameter.
// Pure Swift on plain arrays, no dependencies, so any package (segmentation, networks, tools) can use it.
import PackageDescription

let package = Package(
    name: "NuclearScale",
    products: [
        .library(name: "NuclearScale", targets: ["NuclearScale"]),
    ],
    targets: [
        .target(name: "NuclearScale"),
        .testTarget(name: "NuclearScaleTests", dependencies: ["NuclearScale"]),
    ]
)
