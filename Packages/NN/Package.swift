// swift-tools-version:5.10
// NN: reverse-mode automatic differentiation, layers, Adam and safetensors checkpoints on TensorCore.
import PackageDescription

let package = Package(
    name: "NN",
    products: [
        .library(name: "NN", targets: ["NN"]),
    ],
    dependencies: [
        .package(path: "../Tensor"),
    ],
    targets: [
        .target(name: "NN", dependencies: [.product(name: "TensorCore", package: "Tensor")]),
        .testTarget(
            name: "NNTests", dependencies: ["NN", .product(name: "TensorCore", package: "Tensor")], exclude: ["Fixtures"]),
    ]
)
