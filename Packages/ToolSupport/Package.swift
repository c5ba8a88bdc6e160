// swift-tools-version:5.10
// ToolSupport: the command-line conventions shared by every SaliencyNet tool
// (--help, inputs from arguments or stdin, --out DIR, exit codes, diagnostics on stderr, --diameter).
import PackageDescription

let package = Package(
    name: "ToolSupport",
    products: [
        .library(name: "ToolSupport", targets: ["ToolSupport"]),
    ],
    dependencies: [
        .package(path: "../NuclearScale"),
    ],
    targets: [
        .target(name: "ToolSupport", dependencies: [.product(name: "NuclearScale", package: "NuclearScale")]),
        .testTarget(name: "ToolSupportTests", dependencies: ["ToolSupport"]),
    ]
)
