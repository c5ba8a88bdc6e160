// swift-tools-version:5.10
// Losses: the SaliencyNet losses (MSE, Mean Gradient Error, SSIM, their weighted sum, LSGAN, L1)
// as differentiable ops on NN's tape, plus plain-value evaluation on TensorCore tensors.
import PackageDescription

let package = Package(
    name: "Losses",
    products: [
        .library(name: "Losses", targets: ["Losses"]),
    ],
    dependencies: [
        .package(path: "../Tensor"),
        .package(path: "../NN"),
        .package(path: "../NuclearScale"),
    ],
    targets: [
        .target(name: "Losses", dependencies: [
            .product(name: "NN", package: "NN"),
            .product(name: "TensorCore", package: "Tensor"),
            .product(name: "NuclearScale", package: "NuclearScale"),
        ]),
        .testTarget(
            name: "LossesTests",
            dependencies: ["Losses", .product(name: "NN", package: "NN"), .product(name: "TensorCore", package: "Tensor")],
            exclude: ["Fixtures"]),
    ]
)
