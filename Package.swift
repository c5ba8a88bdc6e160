// swift-tools-version:5.10
// SaliencyNet: the root package composes the independent local packages under Packages/
// and builds the command-line tools under Tools/ and the test suites under Tests/.
import PackageDescription

let package = Package(
    name: "SaliencyNet",
    products: [
        .executable(name: "sn-bench", targets: ["sn-bench"]),
        .executable(name: "sn-convert", targets: ["sn-convert"]),
        .executable(name: "sn-synth", targets: ["sn-synth"]),
    ],
    dependencies: [
        .package(path: "Packages/Tensor"),
        .package(path: "Packages/NN"),
        .package(path: "Packages/MicroscopyIO"),
        .package(path: "Packages/ToolSupport"),
        .package(path: "Packages/Synthesis"),
    ],
    targets: [
        .executableTarget(
            name: "sn-bench",
            dependencies: [
                .product(name: "TensorCore", package: "Tensor"),
                .product(name: "ToolSupport", package: "ToolSupport"),
            ],
            path: "Tools/sn-bench"),
        .executableTarget(
            name: "sn-convert",
            dependencies: [
                .product(name: "MicroscopyIO", package: "MicroscopyIO"),
                .product(name: "ToolSupport", package: "ToolSupport"),
            ],
            path: "Tools/sn-convert"),
        .executableTarget(
            name: "sn-synth",
            dependencies: [
                .product(name: "Synthesis", package: "Synthesis"),
                .product(name: "MicroscopyIO", package: "MicroscopyIO"),
                .product(name: "ToolSupport", package: "ToolSupport"),
            ],
            path: "Tools/sn-synth"),
        .testTarget(
            name: "TensorCoreTests",
            dependencies: [.product(name: "TensorCore", package: "Tensor")],
            path: "Tests/TensorCoreTests"),
        .testTarget(
            name: "MicroscopyIOTests",
            dependencies: [.product(name: "MicroscopyIO", package: "MicroscopyIO")],
            path: "Tests/MicroscopyIOTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ToolSupportTests",
            dependencies: [.product(name: "ToolSupport", package: "ToolSupport")],
            path: "Tests/ToolSupportTests"),
        .testTarget(
            name: "SynthesisTests",
            dependencies: [.product(name: "Synthesis", package: "Synthesis")],
            path: "Tests/SynthesisTests"),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [.product(name: "MicroscopyIO", package: "MicroscopyIO")],
            path: "Tests/EndToEndTests"),
        .testTarget(
            name: "NNTests",
            dependencies: [
                .product(name: "NN", package: "NN"),
                .product(name: "TensorCore", package: "Tensor"),
            ],
            path: "Tests/NNTests",
            exclude: ["Fixtures"]),
    ]
)
