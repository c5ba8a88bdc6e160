// swift-tools-version:5.10
// CycleGAN: SaliencyNet's networks and training.
// - module `CycleGAN`: the ResNet generator (G: X → Y, F: Y → X), the 70×70 PatchGAN (D_X, D_Y), one
//   training step with the loss placements of the paper, the image pool, model files, and tiled inference;
// - module `SaliencyTraining`: the training loop over folders of unpaired images (augmentation, schedule,
//   checkpoints with exact resume, validation by Otsu IoU and nucleus counts, loss CSV, sample grids).
import PackageDescription

let package = Package(
    name: "CycleGAN",
    products: [
        .library(name: "CycleGAN", targets: ["CycleGAN"]),
        .library(name: "SaliencyTraining", targets: ["SaliencyTraining"]),
    ],
    dependencies: [
        .package(path: "../Tensor"),
        .package(path: "../NN"),
        .package(path: "../Losses"),
        .package(path: "../MicroscopyIO"),
        .package(path: "../Segmentation"),
        .package(path: "../Metrics"),
        .package(path: "../NuclearScale"),
        .package(path: "../Synthesis"),
    ],
    targets: [
        .target(name: "CycleGAN", dependencies: [
            .product(name: "NN", package: "NN"),
            .product(name: "TensorCore", package: "Tensor"),
            .product(name: "Losses", package: "Losses"),
        ]),
        .target(name: "SaliencyTraining", dependencies: [
            "CycleGAN",
            .product(name: "NN", package: "NN"),
            .product(name: "TensorCore", package: "Tensor"),
            .product(name: "Losses", package: "Losses"),
            .product(name: "MicroscopyIO", package: "MicroscopyIO"),
            .product(name: "Segmentation", package: "Segmentation"),
            .product(name: "Metrics", package: "Metrics"),
            .product(name: "NuclearScale", package: "NuclearScale"),
            .product(name: "Synthesis", package: "Synthesis"),
        ]),
        .testTarget(name: "CycleGANTests", dependencies: [
            "CycleGAN", "SaliencyTraining",
            .product(name: "NN", package: "NN"),
            .product(name: "TensorCore", package: "Tensor"),
            .product(name: "Losses", package: "Losses"),
            .product(name: "MicroscopyIO", package: "MicroscopyIO"),
            .product(name: "Segmentation", package: "Segmentation"),
            .product(name: "NuclearScale", package: "NuclearScale"),
        ], exclude: ["Fixtures"]),
    ]
)
