// swift-tools-version:5.10
// ToolSupport: the command-line conventions shared by every SaliencyNet tool
// (--help, inputs from arguments or stdin, --out DIR, exit codes, diagnostics on stderr).
import PackageDescription

let package = Package(
    name: "ToolSupport",
    products: [
        .library(name: "ToolSupport", targets: ["ToolSupport"]),
    ],
    targets: [
        .target(name: "ToolSupport"),
        .testTarget(name: "ToolSupportTests", dependencies: ["ToolSupport"]),
    ]
)
