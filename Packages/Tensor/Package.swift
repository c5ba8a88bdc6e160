// swift-tools-version:5.10
// Tensor: dense Float32 tensors (NCHW for images) on OpenBLAS.
import PackageDescription

let package = Package(
    name: "Tensor",
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
    ],
    targets: [
        // System library shim for Debian's libopenblas-dev (cblas.h, libopenblas.so).
        .systemLibrary(name: "_CBLAS", path: "Sources/_CBLAS"),
        // glibc's malloc.h (mallopt), for Allocation.reuseFreedMemory.
        .systemLibrary(name: "_CMalloc", path: "Sources/_CMalloc"),
        .target(name: "TensorCore", dependencies: ["_CBLAS", "_CMalloc"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
    ]
)
