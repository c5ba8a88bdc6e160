import Testing
@testable import TensorCore

extension TensorCoreTests {
    /// Winograd F(2×2,3×3) and F(4×4,3×3) against the direct convolution (`Reference.conv2d`,
    /// Float64 sums), inputs and weights uniform in [−1, 1), K = Cin·9. Tolerances:
    /// F(2×2): `1e-5·K + 1e-4·|direct|` (as im2col + sgemm); F(4×4): `4e-5·K + 1e-4·|direct|`
    /// (its transforms multiply by up to 8 and divide by 24, costing about two bits; the measured
    /// worst errors are in docs/nn.md).
    @Suite("Winograd 3x3 convolution")
    struct WinogradTests {
        static func tolerance(_ v: WinogradVariant, channels: Int) -> Float {
            (v == .f2x2 ? 1e-5 : 4e-5) * Float(9 * channels)
        }

        @Test("zero and reflection padding, odd sizes, bias, wide rows, one-tile-row bands ≈ Reference.conv2d, 1 and 2 threads",
              arguments: WinogradVariant.allCases)
        func agreesWithDirect(_ variant: WinogradVariant) {
            var cases = Cases(seed: 31)
            // (N, Cin, Cout, H, W, padding)
            let shapes = [(1, 1, 1, 3, 3, 0), (2, 3, 4, 9, 11, 1), (1, 5, 3, 6, 7, 0), (1, 2, 2, 13, 5, 2),
                          (1, 20, 17, 17, 19, 1), (1, 4, 6, 4, 37, 1), (2, 9, 5, 8, 8, 1),
                          // Rows of ≥ 16 whole tiles take the vector gather/scatter path; rows of
                          // 4–15 tiles the multi-row gather (8 tiles per row, and groups of 16
                          // that start mid-row and span three tile rows).
                          (1, 3, 5, 9, 70, 1), (1, 2, 3, 6, 130, 1), (1, 4, 6, 30, 30, 1), (1, 3, 4, 12, 26, 0)]
            forEachThreadCount { _ in
                for (n, cin, cout, h, w, p) in shapes {
                    let x = cases.tensor([n, cin, h, w]), wt = cases.tensor([cout, cin, 3, 3]), b = cases.tensor([cout])
                    let direct = Reference.conv2d(x, weight: wt, bias: b, padding: p)
                    for budget in [Winograd.defaultWorkspaceBytes, 1] {
                        let fast = Tensor.winogradConv2d(x, weight: wt, bias: b, padding: p, variant: variant, workspaceBytes: budget)
                        #expect(fast.isApproximatelyEqual(to: direct, absoluteTolerance: Self.tolerance(variant, channels: cin), relativeTolerance: 1e-4),
                                "\(variant) \(x.shape) p=\(p) budget=\(budget): max difference \(fast.maxAbsoluteDifference(direct))")
                    }
                    if p >= 1 && p < h && p < w {
                        let reflected = Reference.conv2d(Reference.reflectionPad(x, padding: p), weight: wt, bias: b)
                        let fast = Tensor.winogradConv2d(x, weight: wt, bias: b, padding: p, border: .reflect, variant: variant,
                                                         workspaceBytes: 1)
                        #expect(fast.isApproximatelyEqual(to: reflected, absoluteTolerance: Self.tolerance(variant, channels: cin), relativeTolerance: 1e-4),
                                "\(variant) reflect \(x.shape) p=\(p): max difference \(fast.maxAbsoluteDifference(reflected))")
                    }
                }
            }
        }

        /// The weight gradient `∂w[co, ci, ky, kx] = Σ dy[n, co, oy, ox] · x̃[n, ci, oy + ky, ox + kx]`
        /// by Winograd against the naive sum in Float64, zero and reflection padding, partial
        /// edge tiles, rows of ≥ 16 and of 4–15 tiles (the vector gathers), one-tile-row bands, output
        /// channels in chunks (17 → 5 + 6 + 6), 1 and 2
        /// threads. The gradient sums `P = N·outH·outW` products: tolerance `c·P` absolute
        /// (`c` 1e-7 for F(2×2), 5e-7 for F(4×4), about twice the worst measured error; the F(4×4)
        /// transforms scale by up to 8·8 before the 1/24 factors) plus 1e-5 relative.
        @Test("weight gradient ≈ naive sum, zero and reflection padding, bands, 1 and 2 threads",
              arguments: WinogradVariant.allCases)
        func weightGradient(_ variant: WinogradVariant) {
            var cases = Cases(seed: 33)
            // (N, Cin, Cout, H, W, padding)
            let shapes = [(1, 1, 1, 3, 3, 0), (2, 3, 4, 9, 11, 1), (1, 5, 3, 6, 7, 0), (1, 2, 2, 13, 5, 2),
                          (1, 20, 17, 17, 19, 1), (2, 9, 5, 8, 8, 1), (1, 3, 5, 9, 70, 1), (1, 2, 3, 6, 130, 1),
                          (1, 4, 6, 30, 30, 1), (1, 3, 4, 12, 26, 0)]
            forEachThreadCount { _ in
                for (n, cin, cout, h, w, p) in shapes {
                    let x = cases.tensor([n, cin, h, w])
                    let (outH, outW) = (h + 2 * p - 2, w + 2 * p - 2)
                    let dy = cases.tensor([n, cout, outH, outW])
                    let c: Float = (variant == .f2x2 ? 1e-7 : 5e-7) * Float(n * outH * outW)
                    var borders: [BorderMode] = [.zero]
                    if p >= 1 && p < h && p < w { borders.append(.reflect) }
                    for border in borders {
                        let padded = border == .reflect ? Reference.reflectionPad(x, padding: p) : x
                        let q = border == .reflect ? 0 : p
                        var naive = Tensor.zeros([cout, cin, 3, 3])
                        for co in 0..<cout { for ci in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
                            var s = 0.0
                            for i in 0..<n { for oy in 0..<outH { for ox in 0..<outW {
                                let (iy, ix) = (oy + ky - q, ox + kx - q)
                                guard iy >= 0, ix >= 0, iy < padded.shape[2], ix < padded.shape[3] else { continue }
                                s += Double(dy[i, co, oy, ox]) * Double(padded[i, ci, iy, ix])
                            } } }
                            naive[co, ci, ky, kx] = Float(s)
                        } } } }
                        // Default budgets; one-tile-row bands with output channels in chunks of 8.
                        for (budget, chunk) in [(Winograd.defaultWorkspaceBytes, Winograd.weightGradientChunkBytes), (1, 1)] {
                            let fast = Tensor.winogradConv2dWeightGradient(x, outputGradient: dy, padding: p, border: border,
                                                                           variant: variant, workspaceBytes: budget, chunkBytes: chunk)
                            #expect(fast.isApproximatelyEqual(to: naive, absoluteTolerance: c, relativeTolerance: 1e-5),
                                    "\(variant) \(border) \(x.shape) p=\(p) budget=\(budget): max difference \(fast.maxAbsoluteDifference(naive)) (tolerance \(c))")
                        }
                    }
                }
            }
        }

        /// `adjoint: true` convolves with the flipped, transposed kernel (the input gradient).
        @Test("adjoint mode == convolution with the flipped, transposed kernel", arguments: WinogradVariant.allCases)
        func adjoint(_ variant: WinogradVariant) {
            var cases = Cases(seed: 32)
            let (cout, cin) = (5, 7)
            let w = cases.tensor([cout, cin, 3, 3])
            var flipped = Tensor.zeros([cin, cout, 3, 3])
            for co in 0..<cout { for ci in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
                flipped[ci, co, ky, kx] = w[co, ci, 2 - ky, 2 - kx]
            } } } }
            let dy = cases.tensor([2, cout, 10, 9])
            for p in [0, 1, 2] {
                let direct = Reference.conv2d(dy, weight: flipped, padding: p)
                let fast = Tensor.winogradConv2d(dy, weight: w, padding: p, variant: variant, adjoint: true)
                #expect(fast.isApproximatelyEqual(to: direct, absoluteTolerance: Self.tolerance(variant, channels: cout), relativeTolerance: 1e-4),
                        "\(variant) p=\(p): max difference \(fast.maxAbsoluteDifference(direct))")
            }
        }

        /// The SIMD weight transform against its sgemm twin (`G ⊗ G` in Float64, rounded once),
        /// plain and flipped, with pair counts that leave a partial group of 16, 1 and 2 threads.
        @Test("weight transform == its sgemm twin, plain and flipped", arguments: WinogradVariant.allCases)
        func transformMatchesTwin(_ variant: WinogradVariant) {
            var cases = Cases(seed: 34)
            forEachThreadCount { _ in
                for (cout, cin) in [(1, 1), (3, 5), (16, 16), (37, 29)] {
                    let w = cases.tensor([cout, cin, 3, 3])
                    let count = Winograd.transformedWeightCount(outputChannels: cout, inputChannels: cin, variant: variant)
                    for flipped in [false, true] {
                        var fast = [Float](repeating: .nan, count: count), twin = [Float](repeating: .nan, count: count)
                        w.withUnsafeBufferPointer { wp in
                            fast.withUnsafeMutableBufferPointer {
                                Winograd.transformWeights(wp.baseAddress!, outputChannels: cout, inputChannels: cin, variant: variant,
                                                          flipped: flipped, into: $0.baseAddress!)
                            }
                            twin.withUnsafeMutableBufferPointer {
                                Winograd.transformWeightsByGEMM(wp.baseAddress!, outputChannels: cout, inputChannels: cin,
                                                                variant: variant, flipped: flipped, into: $0.baseAddress!)
                            }
                        }
                        let worst = zip(fast, twin).map { abs($0 - $1) }.max() ?? .nan
                        // |U| ≤ 9 (|g| < 1, |G| ≤ 1): a few Float32 roundings of the factored rows.
                        #expect(worst <= 2e-6, "\(variant) \(cout)x\(cin) flipped \(flipped): max difference \(worst)")
                    }
                }
            }
        }

        @Test("weight transform G g Gᵀ of a delta kernel and band sizing")
        func transformAndBands() {
            // g = e_{1,1} (centre tap): U[(i, j)] = G[i, 1]·G[j, 1].
            var w = Tensor.zeros([1, 1, 3, 3])
            w[0, 0, 1, 1] = 1
            for variant in WinogradVariant.allCases {
                let alpha = variant.inputTile, g = Winograd.filterMatrix(variant)
                var u = [Float](repeating: .nan, count: alpha * alpha)
                w.withUnsafeBufferPointer { wp in
                    u.withUnsafeMutableBufferPointer {
                        Winograd.transformWeights(wp.baseAddress!, outputChannels: 1, inputChannels: 1, variant: variant, into: $0.baseAddress!)
                    }
                }
                for i in 0..<alpha { for j in 0..<alpha {
                    #expect(abs(Double(u[i * alpha + j]) - g[i * 3 + 1] * g[j * 3 + 1]) < 1e-7)
                } }
            }
            // 256 → 256 channels at 64×64 with F(4×4): 16 tile rows of 16 (+16 slack) tiles.
            let rows = Winograd.tileRowsPerBand(inputChannels: 256, outputChannels: 256, outputWidth: 64, outputHeight: 64,
                                                variant: .f4x4, workspaceBytes: 24 << 20)
            #expect(rows == min(16, (24 << 20) / (512 * 36 * 32 * 4)))
            #expect(Winograd.tileRowsPerBand(inputChannels: 256, outputChannels: 256, outputWidth: 256, outputHeight: 256,
                                             variant: .f4x4, workspaceBytes: 1) == 1)
        }
    }
}
