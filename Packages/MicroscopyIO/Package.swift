// swift-tools-version:5.10
// MicroscopyIO: TIFF (incl. OME-TIFF and ImageJ hyperstacks) and PNG reading and writing of instance
// label images and intensity planes; atomic writes. The image value types themselves (and percentile
// intensity normalization) are ImageCore's, re-exported, so `import MicroscopyIO` provides them too.
import PackageDescription

let package = Package(
    name: "MicroscopyIO",
    products: [
        .library(name: "MicroscopyIO", targets: ["MicroscopyIO"]),
    ],
    dependencies: [
        .package(path: "../ImageCore"),
    ],
    targets: [
        // System library shim for Debian's libtiff-dev.
        .systemLibrary(name: "_CTIFF", path: "Sources/_CTIFF"),
        // Small C helpers around libtiff: Swift cannot call the variadic TIFFGetField/TIFFSetField
        // nor implement libtiff's va_list error handlers (used to capture messages per file).
        .target(
            name: "_CTIFFSupport",
            path: "Sources/_CTIFFSupport",
            linkerSettings: [.linkedLibrary("tiff")]),
        // Small C shim around libpng: libpng reports errors with longjmp, which Swift cannot catch.
        .target(
            name: "_CPNG",
            path: "Sources/_CPNG",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),
        .target(
            name: "MicroscopyIO",
            dependencies: ["_CTIFF", "_CTIFFSupport", "_CPNG", .product(name: "ImageCore", package: "ImageCore")]),
        .testTarget(name: "MicroscopyIOTests", dependencies: ["MicroscopyIO"], exclude: ["Fixtures"]),
    ]
)
