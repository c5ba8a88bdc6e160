// swift-tools-version:5.10
// CycleGAN: the ResNet generator, the 70×70 PatchGAN and the CycleGAN training step on NN.
import PackageDescription

let package = Package(
    name: "CycleGAN",
    products: [
        .library(name: "CycleGAN", targets: ["CycleGAN"]),
    ],
    dependencies: [
        .package(path: "../Tensor"),
        .package(path: "../NN"),
    ],
    targets: [
        .target(name: "CycleGAN", dependencies: [
            .product(name: "NN", package: "NN"),
            .product(name: "TensorCore", package: "Tensor"),
        ]),
    ]
)
