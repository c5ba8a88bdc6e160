import TensorCore

/// How a convolution treats pixels outside the image.
public enum Padding: Sendable, Equatable {
    /// Zeros outside the image.
    case zero
    /// Mirror without repeating the edge pixel (PyTorch `ReflectionPad2d` / `padding_mode="reflect"`):
    /// index `−i ↦ i`, `H−1+i ↦ H−1−i`.
    case reflect
}

/// Reflection padding kernels on NCHW tensors.
public enum ReflectionPadding {
    /// Source index of padded index `i` (in `−p ..< n+p`) for reflection: `|i|` reflected at `n−1`.
    @inline(__always)
    static func source(_ i: Int, _ n: Int) -> Int {
        i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
    }

    /// `x` `[N, C, H, W]` → `[N, C, H+2p, W+2p]`, `y[.., i, j] = x[.., r(i−p), r(j−p)]` with `r`
    /// the reflection above. - Precondition: `p < H`, `p < W`.
    public static func forward(_ x: Tensor, padding p: Int) -> Tensor {
        precondition(x.rank == 4, "reflectionPad: input must be NCHW, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(p >= 0 && p < h && p < w, "reflectionPad: padding \(p) must be < H=\(h) and < W=\(w)")
        let (ph, pw) = (h + 2 * p, w + 2 * p)
        return Tensor(shape: [n, c, ph, pw]) { out in
            x.withUnsafeBufferPointer { src in
                let s = src.baseAddress!, d = out.baseAddress!
                Parallel.forEachChunk(count: n * c, minimumChunk: max(1, Parallel.defaultMinimumChunk / (ph * pw))) { planes in
                    for plane in planes {
                        let sp = s + plane * h * w, dp = d + plane * ph * pw
                        for i in 0..<ph {
                            let row = sp + source(i - p, h) * w
                            let drow = dp + i * pw
                            for j in 0..<p { drow[j] = row[p - j] }
                            (drow + p).update(from: row, count: w)
                            for j in 0..<p { drow[p + w + j] = row[w - 2 - j] }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint: `g` `[N, C, H+2p, W+2p]` → `[N, C, H, W]`, each padded pixel's gradient
    /// added onto the source pixel it was copied from.
    public static func backward(_ g: Tensor, padding p: Int) -> Tensor {
        let (n, c, ph, pw) = (g.shape[0], g.shape[1], g.shape[2], g.shape[3])
        let (h, w) = (ph - 2 * p, pw - 2 * p)
        var out = Tensor.zeros([n, c, h, w])
        out.withUnsafeMutableBufferPointer { dst in
            g.withUnsafeBufferPointer { src in
                let s = src.baseAddress!, d = dst.baseAddress!
                Parallel.forEachChunk(count: n * c, minimumChunk: max(1, Parallel.defaultMinimumChunk / (ph * pw))) { planes in
                    for plane in planes {
                        let sp = s + plane * ph * pw, dp = d + plane * h * w
                        for i in 0..<ph {
                            let row = dp + source(i - p, h) * w
                            let srow = sp + i * pw
                            for j in 0..<pw { row[source(j - p, w)] += srow[j] }
                        }
                    }
                }
            }
        }
        return out
    }
}

extension Variable {
    /// Reflection padding by `p` on all four sides: `[N, C, H, W]` → `[N, C, H+2p, W+2p]`
    /// (see ``Padding/reflect``). Gradient: ``ReflectionPadding/backward(_:padding:)``.
    public func reflectionPadded(_ p: Int) -> Variable {
        if p == 0 { return self }
        return Variable.record(ReflectionPadding.forward(value, padding: p), inputs: [self]) { g, _ in
            [ReflectionPadding.backward(g, padding: p)]
        }
    }
}

/// Reflection padding layer (no parameters): `[N, C, H, W]` → `[N, C, H+2p, W+2p]`.
public struct ReflectionPad2d: Layer {
    /// Pixels added on each side (< H, < W).
    public var padding: Int
    /// Creates the layer.
    public init(_ padding: Int) { self.padding = padding }
    /// None.
    public var parameters: [Parameter] { [] }
    /// Reflection-padded input.
    public func callAsFunction(_ input: Variable) -> Variable { input.reflectionPadded(padding) }
}
