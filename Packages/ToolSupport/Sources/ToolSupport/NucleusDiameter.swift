import NuclearScale

/// `--diameter auto|D` on the tools that work at a nucleus scale (sn-enhance, sn-segment, sn-train,
/// sn-train-star): `auto` estimates it from each image; D is a median nucleus diameter in pixels of
/// the input, in NuclearScale's `DiameterSetting.allowedRange`. Anything else (0, negative, NaN,
/// infinite, absurd) is a usage error.
extension DiameterSetting: ArgumentValue {
    /// The kind shown in help and errors.
    public static var valueKindName: String { "auto|px" }
}

extension CommandSpec {
    /// Declares `--NAME auto|D` (default `auto`) with the shared help text.
    public mutating func diameterOption(_ name: String = "diameter", of what: String = "the input's nuclei") -> OptionKey<DiameterSetting> {
        option(name, default: DiameterSetting.auto,
               help: "Median nucleus diameter of \(what), px (\(Int(DiameterSetting.allowedRange.lowerBound))...\(Int(DiameterSetting.allowedRange.upperBound))), or 'auto' to estimate it per image.")
    }
}
