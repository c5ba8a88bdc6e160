/// The order of the models in the report's tables and heatmaps: `raw` first, then the vanilla CycleGAN, then the
/// grid models `aA-bB-gG` (saliency-loss weights α, β, γ) sorted by (α, β, γ) numerically, then every other
/// model by name.
public enum ModelOrder {
    /// The loss weights (α, β, γ) of a grid model name `a<α>-b<β>-g<γ>` (e.g. `a0.2-b0.2-g0.6`); nil for any
    /// other name (a part missing, another prefix, a weight that is not a finite number).
    public static func gridWeights(_ name: String) -> (alpha: Double, beta: Double, gamma: Double)? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var weights: [Double] = []
        for (part, prefix) in zip(parts, ["a", "b", "g"]) {
            guard part.hasPrefix(prefix), let v = Double(part.dropFirst()), v.isFinite else { return nil }
            weights.append(v)
        }
        return (weights[0], weights[1], weights[2])
    }

    /// `models` without repeats, in the report's order (see the type). `raw` and `vanilla` come first only
    /// when present.
    public static func sorted(_ models: [String], vanilla: String = "vanilla") -> [String] {
        let unique = Array(Set(models))
        let raw = unique.filter { $0 == "raw" }
        let van = unique.filter { $0 == vanilla && $0 != "raw" }
        let rest = unique.filter { $0 != "raw" && $0 != vanilla }
        let grid = rest.compactMap { name in gridWeights(name).map { (name, $0) } }.sorted { l, r in
            if l.1.alpha != r.1.alpha { return l.1.alpha < r.1.alpha }
            if l.1.beta != r.1.beta { return l.1.beta < r.1.beta }
            if l.1.gamma != r.1.gamma { return l.1.gamma < r.1.gamma }
            return l.0 < r.0
        }.map(\.0)
        let others = rest.filter { gridWeights($0) == nil }.sorted()
        return raw + van + grid + others
    }
}
