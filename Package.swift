// swift-tools-version:5.10
// SaliencyNet: the root package composes the independent local packages under Packages/
// and builds the command-line tools under Tools/. Its test targets are each package's own suite (in
// Packages/X/Tests/, so `swift test` here runs them all in one build) and the end-to-end tests under Tests/.
import PackageDescription

let imageCore = Target.Dependency.product(name: "ImageCore", package: "ImageCore")
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
let report = Target.Dependency.product(name: "Report", package: "Report")

let package = Package(
    name: "SaliencyNet",
    products: [
        .executable(name: "sn-bench", targets: ["sn-bench"]),
        .executable(name: "sn-convert", targets: ["sn-convert"]),
        .executable(name: "sn-synth", targets: ["sn-synth"]),
        .executable(name: "sn-camera", targets: ["sn-camera"]),
        .executable(name: "sn-segment", targets: ["sn-segment"]),
        .executable(name: "sn-score", targets: ["sn-score"]),
        .executable(name: "sn-train-star", targets: ["sn-train-star"]),
        .executable(name: "sn-train", targets: ["sn-train"]),
        .executable(name: "sn-enhance", targets: ["sn-enhance"]),
        .executable(name: "sn-diameter", targets: ["sn-diameter"]),
        .executable(name: "sn-model", targets: ["sn-model"]),
        .executable(name: "sn-fuzz", targets: ["sn-fuzz"]),
        .executable(name: "sn-report", targets: ["sn-report"]),
    ],
    dependencies: [
        .package(path: "Packages/ImageCore"),
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
        .package(path: "Packages/Report"),
    ],
    targets: [
        // Tools: each parses arguments and calls library functions.
        .executableTarget(name: "sn-bench", dependencies: [tensor, nn, cycleGAN, toolSupport], path: "Tools/sn-bench"),
        .executableTarget(name: "sn-convert", dependencies: [io, nuclearScale, toolSupport], path: "Tools/sn-convert"),
        .executableTarget(name: "sn-synth", dependencies: [synthesis, io, toolSupport], path: "Tools/sn-synth"),
        .executableTarget(name: "sn-camera", dependencies: [synthesis, io, toolSupport], path: "Tools/sn-camera"),
        .executableTarget(
            name: "sn-segment", dependencies: [segmentation, starSegmentation, nuclearScale, tensor, io, toolSupport],
            path: "Tools/sn-segment"),
        .executableTarget(name: "sn-score", dependencies: [metrics, nuclearScale, io, toolSupport], path: "Tools/sn-score"),
        .executableTarget(
            name: "sn-train-star", dependencies: [starSegmentation, nuclearScale, tensor, io, toolSupport], path: "Tools/sn-train-star"),
        .executableTarget(
            name: "sn-train", dependencies: [saliencyTraining, cycleGAN, losses, nn, nuclearScale, tensor, io, toolSupport],
            path: "Tools/sn-train"),
        .executableTarget(
            name: "sn-enhance", dependencies: [cycleGAN, saliencyTraining, nn, nuclearScale, segmentation, tensor, io, toolSupport],
            path: "Tools/sn-enhance"),

        .executableTarget(name: "sn-model", dependencies: [nn, toolSupport], path: "Tools/sn-model"),
        .executableTarget(
            name: "sn-fuzz", dependencies: [io, segmentation, starSegmentation, nn, nuclearScale, tensor, toolSupport], path: "Tools/sn-fuzz"),
        .executableTarget(name: "sn-diameter", dependencies: [nuclearScale, io, toolSupport], path: "Tools/sn-diameter"),
        .executableTarget(name: "sn-report", dependencies: [report, io, toolSupport], path: "Tools/sn-report"),

        // A suite per package: the package's own tests, in Packages/X/Tests/ (the package's manifest declares the
        // same target, so `swift test --package-path Packages/X` runs it on its own).
        .testTarget(name: "ImageCoreTests", dependencies: [imageCore], path: "Packages/ImageCore/Tests/ImageCoreTests"),
        .testTarget(name: "TensorCoreTests", dependencies: [tensor], path: "Packages/Tensor/Tests/TensorCoreTests"),
        .testTarget(name: "NNTests", dependencies: [nn, tensor], path: "Packages/NN/Tests/NNTests", exclude: ["Fixtures"]),
        .testTarget(
            name: "LossesTests", dependencies: [losses, nn, tensor], path: "Packages/Losses/Tests/LossesTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "MicroscopyIOTests", dependencies: [io], path: "Packages/MicroscopyIO/Tests/MicroscopyIOTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ToolSupportTests", dependencies: [toolSupport], path: "Packages/ToolSupport/Tests/ToolSupportTests"),
        .testTarget(name: "SynthesisTests", dependencies: [synthesis, nuclearScale], path: "Packages/Synthesis/Tests/SynthesisTests"),
        // Here the suite also compiles StarToolTests.swift, which runs the built sn-segment (and so needs
        // MicroscopyIO); the Segmentation package excludes that file.
        .testTarget(
            name: "SegmentationTests", dependencies: [segmentation, starSegmentation, metrics, imageCore, io, nn, nuclearScale, tensor],
            path: "Packages/Segmentation/Tests/SegmentationTests", exclude: ["Fixtures"]),
        .testTarget(
            name: "MetricsTests", dependencies: [metrics, imageCore], path: "Packages/Metrics/Tests/MetricsTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CycleGANTests", dependencies: [cycleGAN, saliencyTraining, losses, nn, tensor, io, segmentation],
            path: "Packages/CycleGAN/Tests/CycleGANTests", exclude: ["Fixtures"]),

        .testTarget(name: "NuclearScaleTests", dependencies: [nuclearScale], path: "Packages/NuclearScale/Tests/NuclearScaleTests"),
        .testTarget(name: "ReportTests", dependencies: [report, imageCore], path: "Packages/Report/Tests/ReportTests"),

        // End-to-end tests run the built tools.
        .testTarget(name: "EndToEndTests", dependencies: [io, cycleGAN, nn, tensor, report], path: "Tests/EndToEndTests"),
    ]
)
