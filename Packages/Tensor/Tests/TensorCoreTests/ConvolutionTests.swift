import Testing
@testable import TensorCore

extension TensorCoreTests {
    @Suite("im2col, col2im and the convolution forward path")
    struct ConvolutionTests {
        /// Geometries covering odd sizes, stride 2, dilation 2, asymmetric parameters and padding.
        static func geometries() -> [Conv2DGeometry] {
            var list: [Conv2DGeometry] = [
                Conv2DGeometry(channels: 1, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3),
                Conv2DGeometry(channels: 3, height: 9, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
                Conv2DGeometry(channels: 2, height: 11, width: 13, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
                Conv2DGeometry(channels: 2, height: 12, width: 10, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2, dilation: 2),
                Conv2DGeometry(channels: 1, height: 16, width: 17, kernelHeight: 7, kernelWidth: 7, stride: 1, padding: 3),
                Conv2DGeometry(channels: 4, height: 8, width: 8, kernelHeight: 1, kernelWidth: 1),
                Conv2DGeometry(channels: 2, height: 7, width: 9, kernelHeight: 2, kernelWidth: 4, strideY: 2, strideX: 3,
                               paddingY: 0, paddingX: 2, dilationY: 1, dilationX: 2),
                Conv2DGeometry(channels: 3, height: 4, width: 4, kernelHeight: 3, kernelWidth: 3, stride: 3, padding: 4),
                // Wide stride-2 rows exercise the vectorized stride-2 gather (8 outputs per step).
                Conv2DGeometry(channels: 2, height: 9, width: 41, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
                Conv2DGeometry(channels: 1, height: 9, width: 50, kernelHeight: 4, kernelWidth: 5, stride: 2, padding: 0, dilation: 2),
                Conv2DGeometry(channels: 1, height: 5, width: 34, kernelHeight: 1, kernelWidth: 1, stride: 2),
            ]
            var cases = Cases(seed: 5)
            for _ in 0..<10 {
                let k = cases.int(1...5), d = cases.int(1...2), p = cases.int(0...3), s = cases.int(1...3)
                let minimum = max(1, d * (k - 1) + 1 - 2 * p)
                list.append(Conv2DGeometry(
                    channels: cases.int(1...4), height: cases.int(minimum...(minimum + 12)),
                    width: cases.int(minimum...(minimum + 12)), kernelHeight: k, kernelWidth: k,
                    stride: s, padding: p, dilation: d))
            }
            return list
        }

        @Test("im2col == Reference.im2col and col2im == Reference.col2im exactly (full and in bands), 1 and 2 threads")
        func agreesWithReference() {
            var cases = Cases(seed: 6)
            forEachThreadCount { _ in
                for g in Self.geometries() {
                    let x = cases.tensor([g.channels, g.height, g.width])
                    let cols = Tensor.im2col(x, geometry: g)
                    #expect(cols == Reference.im2col(x, geometry: g), "\(g)")
                    let y = cases.tensor([g.columnRows, g.columnCount])
                    #expect(Tensor.col2im(y, geometry: g) == Reference.col2im(y, geometry: g), "\(g)")
                    // Band by band (2 output rows at a time) into a strided full matrix.
                    var banded = Tensor.zeros(cols.shape)
                    let outW = g.outputWidth
                    banded.withUnsafeMutableBufferPointer { b in
                        x.withUnsafeBufferPointer { px in
                            for top in stride(from: 0, to: g.outputHeight, by: 2) {
                                let rows = top..<min(top + 2, g.outputHeight)
                                Im2Col.im2col(image: px.baseAddress!, geometry: g, rows: rows,
                                              columns: b.baseAddress! + top * outW, ldColumns: g.columnCount)
                            }
                        }
                    }
                    #expect(banded == cols, "banded \(g)")
                }
            }
        }

        /// ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩, both sides in Float64, relative tolerance 1e-6.
        @Test("col2im is the adjoint of im2col")
        func adjoint() {
            var cases = Cases(seed: 8)
            for g in Self.geometries() {
                let x = cases.tensor([g.channels, g.height, g.width])
                let y = cases.tensor([g.columnRows, g.columnCount])
                let cols = Tensor.im2col(x, geometry: g)
                let back = Tensor.col2im(y, geometry: g)
                let lhs = zip(cols.scalars, y.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let rhs = zip(x.scalars, back.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                #expect(Swift.abs(lhs - rhs) <= 1e-6 * max(1, Swift.abs(lhs)), "\(g): \(lhs) vs \(rhs)")
            }
        }

        /// Tolerance: |fast − direct| ≤ 1e-5·K + 1e-4·|direct|, K = Cin·kH·kW (inputs in [-1, 1)).
        @Test("conv2d (im2col + sgemm, banded) ≈ Reference.conv2d (direct loops), 1 and 2 threads")
        func convolutionAgrees() {
            var cases = Cases(seed: 9)
            forEachThreadCount { _ in
                for g in Self.geometries() {
                    let cout = cases.int(1...5), batch = cases.int(1...2)
                    guard g.strideY == g.strideX, g.paddingY == g.paddingX, g.dilationY == g.dilationX else { continue }
                    let x = cases.tensor([batch, g.channels, g.height, g.width])
                    let w = cases.tensor([cout, g.channels, g.kernelHeight, g.kernelWidth])
                    let b = cases.tensor([cout])
                    let direct = Reference.conv2d(x, weight: w, bias: b, stride: g.strideY, padding: g.paddingY, dilation: g.dilationY)
                    // Default workspace (one band) and a tiny one (one output row per band).
                    for workspace in [Convolution.defaultWorkspaceBytes, 1, 3 * 4 * g.columnRows * g.outputWidth] {
                        let fast = Tensor.conv2d(x, weight: w, bias: b, stride: g.strideY, padding: g.paddingY,
                                                 dilation: g.dilationY, workspaceBytes: workspace)
                        #expect(fast.isApproximatelyEqual(to: direct, absoluteTolerance: 1e-5 * Float(g.columnRows), relativeTolerance: 1e-4),
                                "\(g) cout=\(cout) ws=\(workspace) maxdiff=\(fast.maxAbsoluteDifference(direct))")
                    }
                }
                // A CycleGAN-like shape without bias, in several bands.
                let x = cases.tensor([1, 8, 20, 20]), w = cases.tensor([16, 8, 3, 3])
                let fast = Tensor.conv2d(x, weight: w, padding: 1, workspaceBytes: 72 * 20 * 4 * 3)
                let direct = Reference.conv2d(x, weight: w, padding: 1)
                #expect(fast.isApproximatelyEqual(to: direct, absoluteTolerance: 1e-3, relativeTolerance: 1e-4))
            }
        }

        @Test("band sizing keeps the workspace within budget")
        func bands() {
            let g = Conv2DGeometry(channels: 256, height: 64, width: 64, kernelHeight: 3, kernelWidth: 3, padding: 1)
            let rows = Convolution.rowsPerBand(geometry: g, workspaceBytes: 4 << 20)
            #expect(rows == (4 << 20) / (2304 * 64 * 4))
            #expect(Convolution.workspaceCount(geometry: g, rowsPerBand: rows) * 4 <= 4 << 20)
            let big = Conv2DGeometry(channels: 256, height: 1024, width: 1024, kernelHeight: 3, kernelWidth: 3, padding: 1)
            #expect(Convolution.rowsPerBand(geometry: big, workspaceBytes: 1) == 1)
        }
    }
}
