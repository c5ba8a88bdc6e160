// swift-tools-version:5.10
// SaliencyNet: the root package composes the independent local packages under Packages/
// and builds the command-line tools under Tools/ and the test suites under Tests/.
import PackageDescription

let tensor = Target.Dependency.product(name: "TensorCore", package: "Tensor")
let nn = Target.Dependency.product(name: "NN", package: "NN")
let losses = Target.Dependency.product(name: "Losses", package: "Losses")
let io = Target.Dependency.product(name: "MicroscopyIO", package: "MicroscopyIO")
let toolSupport = Target.Dependency.product(name: "ToolSupport", package: "ToolSupport")
let synthesis = Target.Dependency.product(name: "Synthesis", package: "Synthesis")
let segmentation = Target.Dependency.product(name: "Segmentation", package: "Segmentation")
let starSegmentation = Target.Dependency.product(name: "StarSegmentation", package: "Segmentation")
let metrics = Target.Dependency.product(name: "Metrics", package: "Metrics")
let cycleGAN = Target.Dependency.product(name: "CycleGAN", package: "CycleGAN")
let saliencyTraining = Target.Dependency.product(name: "SaliencyTraining", package: "CycleGAN")
let nuclearScale = Target.Dependency.product(name: "NuclearScale", package: "NuclearScale")

let package = Package(
    name: "SaliencyNet",
    products: [
        .executable(name: "sn-bench", targets: ["sn-bench"]),
        .executable(name: "sn-convert", targets: ["sn-convert"]),
        .executable(name: "sn-synth", targets: ["sn-synth"]),
        .executable(name: "sn-segment", targets: ["sn-segment"]),
        .executable(name: "sn-score", targets: ["sn-score"]),
        .executable(name: "sn-train-star", targets: ["sn-train-star"]),
        .executable(name: "sn-train", targets: ["sn-train"]),
        .executable(name: "sn-enhance", targets: ["sn-enhance"]),
        .executable(name: "sn-diameter", targets: ["sn-diameter"]),
        .executable(name: "sn-model", targets: ["sn-model"]),
    ],
    dependencies: [
        .package(path: "Packages/Tensor"),
        .package(path: "Packages/NN"),
        .package(path: "Packages/Losses"),
        .package(path: "Packages/MicroscopyIO"),
        .package(path: "Packages/ToolSupport"),
        .package(path: "Packages/Synthesis"),
        .package(path: "Packages/Segmentation"),
        .package(path: "Packages/Metrics"),
        .package(path: "Packages/CycleGAN"),
        .package(path: "Packages/NuclearScale"),
    ],
    targets: [
        // Tools: each parses arguments and calls library functions.
        .executableTarget(name: "sn-bench", dependencies: [tensor, nn, cycleGAN, toolSupport], path: "Tools/sn-bench"),
        .executableTarget(name: "sn-convert", dependencies: [io, nuclearScale, toolSupport], path: "Tools/sn-convert"),
        .executableTarget(name: "sn-synth", dependencies: [synthesis, io, toolSupport], path: "Tools/sn-synth"),
        .executableTarget(
            name: "sn-segment", dependencies: [segmentation, starSegmentation, tensor, io, toolSupport],
            path: "Tools/sn-segment"),
        .executableTarget(name: "sn-score", dependencies: [metrics, io, toolSupport], path: "Tools/sn-score"),
        .executableTarget(
            name: "sn-train-star", dependencies: [starSegmentation, tensor, io, toolSupport], path: "Tools/sn-train-star"),
        .executableTarget(
            name: "sn-train", dependencies: [saliencyTraining, cycleGAN, losses, nn, tensor, io, toolSupport],
            path: "Tools/sn-train"),
        .executableTarget(name: "sn-enhance", dependencies: [cycleGAN, nn, tensor, io, toolSupport], path: "Tools/sn-enhance"),

        .executableTarget(name: "sn-model", dependencies: [nn, toolSupport], path: "Tools/sn-model"),
        .executableTarget(name: "sn-diameter", dependencies: [nuclearScale, io, toolSupport], path: "Tools/sn-diameter"),

        // A suite per package.
        .testTarget(name: "TensorCoreTests", dependencies: [tensor], path: "Tests/TensorCoreTests"),
        .testTarget(name: "NNTests", dependencies: [nn, tensor], path: "Tests/NNTests", exclude: ["Fixtures"]),
        .testTarget(
            name: "LossesTests", dependencies: [losses, nn, tensor], path: "Tests/LossesTests", exclude: ["Fixtures"]),
        .testTarget(name: "MicroscopyIOTests", dependencies: [io], path: "Tests/MicroscopyIOTests", exclude: ["Fixtures"]),
        .testTarget(name: "ToolSupportTests", dependencies: [toolSupport], path: "Tests/ToolSupportTests"),
        .testTarget(name: "SynthesisTests", dependencies: [synthesis], path: "Tests/SynthesisTests"),
        .testTarget(
            name: "SegmentationTests", dependencies: [segmentation, starSegmentation, metrics, io, nn, tensor],
            path: "Tests/SegmentationTests", exclude: ["Fixtures"]),
        .testTarget(name: "MetricsTests", dependencies: [metrics, io], path: "Tests/MetricsTests", exclude: ["Fixtures"]),
        .testTarget(
            name: "CycleGANTests", dependencies: [cycleGAN, saliencyTraining, losses, nn, tensor, io, segmentation, metrics],
            path: "Tests/CycleGANTests"),

        .testTarget(name: "NuclearScaleTests", dependencies: [nuclearScale], path: "Packages/NuclearScale/Tests/NuclearScaleTests"),

        // End-to-end tests run the built tools.
        .testTarget(name: "EndToEndTests", dependencies: [io, cycleGAN, nn, tensor], path: "Tests/EndToEndTests"),
    ]
)
