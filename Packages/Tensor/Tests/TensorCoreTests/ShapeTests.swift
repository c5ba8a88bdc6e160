import Testing
@testable import TensorCore

extension TensorCoreTests {
    @Suite("Shape helpers and their error messages")
    struct ShapeTests {
        @Test("broadcastShape: compatible pairs")
        func broadcastCompatible() throws {
            #expect(try Tensor.broadcastShape([2, 3], [2, 3]) == [2, 3])
            #expect(try Tensor.broadcastShape([2, 3], []) == [2, 3])
            #expect(try Tensor.broadcastShape([], [4]) == [4])
            #expect(try Tensor.broadcastShape([2, 3, 4, 5], [1, 3, 1, 1]) == [2, 3, 4, 5])
            #expect(try Tensor.broadcastShape([3], [2, 3]) == [2, 3])
            #expect(try Tensor.broadcastShape([4, 1], [1, 5]) == [4, 5])
            #expect(try Tensor.broadcastShape([2, 1, 3], [7, 1]) == [2, 7, 3])
            #expect(try Tensor.broadcastShape([0, 3], [1, 3]) == [0, 3])
        }

        @Test("broadcastShape: incompatible pairs name the operation and both shapes")
        func broadcastIncompatible() {
            #expect(throws: ShapeError("add: shapes [2, 3] and [4, 3] are not broadcast-compatible")) {
                try Tensor.broadcastShape([2, 3], [4, 3], operation: "add")
            }
            #expect(throws: ShapeError("multiply: shapes [2, 3, 4, 4] and [1, 2, 1, 1] are not broadcast-compatible")) {
                try Tensor.broadcastShape([2, 3, 4, 4], [1, 2, 1, 1], operation: "multiply")
            }
            #expect(throws: ShapeError.self) { try Tensor.broadcastShape([3], [4]) }
        }

        @Test("reducedShape: keepDims, negative axes, errors")
        func reduced() throws {
            #expect(try Tensor.reducedShape([2, 3, 4, 5], axes: [2, 3], keepDims: true).shape == [2, 3, 1, 1])
            #expect(try Tensor.reducedShape([2, 3, 4, 5], axes: [-1, 0], keepDims: false).shape == [3, 4])
            #expect(try Tensor.reducedShape([2, 3, 4, 5], axes: [-1, 0], keepDims: false).axes == [0, 3])
            #expect(try Tensor.reducedShape([2, 3], axes: [], keepDims: false).shape == [2, 3])
            #expect(throws: ShapeError("sum: axis 2 out of range for shape [2, 3]")) {
                try Tensor.reducedShape([2, 3], axes: [2], keepDims: false, operation: "sum")
            }
            #expect(throws: ShapeError("mean: axis -1 repeated in [1, -1]")) {
                try Tensor.reducedShape([2, 3], axes: [1, -1], keepDims: false, operation: "mean")
            }
        }

        @Test("matmulShape: transposes and errors")
        func matmul() throws {
            #expect(try Tensor.matmulShape([2, 3], [3, 5]) == [2, 5])
            #expect(try Tensor.matmulShape([3, 2], [3, 5], transposeA: true) == [2, 5])
            #expect(try Tensor.matmulShape([2, 3], [5, 3], transposeB: true) == [2, 5])
            #expect(try Tensor.matmulShape([3, 2], [5, 3], transposeA: true, transposeB: true) == [2, 5])
            #expect(throws: ShapeError("matmul: inner dimensions differ: [2, 3] · [4, 5] (3 vs 4)")) {
                try Tensor.matmulShape([2, 3], [4, 5])
            }
            #expect(throws: ShapeError("matmul: expected rank-2 operands, got [2, 3, 4] and [4, 5]")) {
                try Tensor.matmulShape([2, 3, 4], [4, 5])
            }
        }

        @Test("conv2d geometry and output shape")
        func convolution() throws {
            let g = Conv2DGeometry(channels: 3, height: 128, width: 128, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
            #expect(g.outputHeight == 64 && g.outputWidth == 64 && g.columnRows == 27)
            let d = Conv2DGeometry(channels: 1, height: 10, width: 9, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0, dilation: 2)
            #expect(d.outputHeight == 6 && d.outputWidth == 5)
            #expect(try Convolution.outputShape(input: [2, 64, 256, 256], weight: [64, 64, 7, 7], padding: 3) == [2, 64, 256, 256])
            #expect(throws: ShapeError("conv2d: input has 3 channels but weight [8, 4, 3, 3] expects 4")) {
                try Convolution.outputShape(input: [1, 3, 8, 8], weight: [8, 4, 3, 3])
            }
            #expect(throws: ShapeError("conv2d: kernel 7x7 (dilation 1x1) does not fit input 4x4 with padding 1x1")) {
                try Convolution.outputShape(input: [1, 3, 4, 4], weight: [8, 3, 7, 7], padding: 1)
            }
            #expect(throws: ShapeError("conv2d: bias must be [8], got [3]")) {
                try Convolution.outputShape(input: [1, 3, 8, 8], weight: [8, 3, 3, 3], bias: [3])
            }
            #expect(throws: ShapeError("conv2d: stride must be ≥ 1, got 0x0")) {
                try Convolution.outputShape(input: [1, 3, 8, 8], weight: [8, 3, 3, 3], stride: 0)
            }
            #expect(throws: ShapeError("conv2d: input must be NCHW (rank 4), got [3, 8, 8]")) {
                try Convolution.outputShape(input: [3, 8, 8], weight: [8, 3, 3, 3])
            }
        }
    }
}
