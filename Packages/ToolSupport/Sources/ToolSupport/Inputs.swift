#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Input paths, following the shared convention: paths given as arguments, or, when none is given
/// or an argument is `-`, newline-separated paths read from stdin.
public enum InputPaths {
    /// Expands `positionals` into the list of input paths.
    ///
    /// - No positionals: every line of `readStdin()`.
    /// - Each `-`: replaced, in place, by the lines of `readStdin()` (read once, even if `-` repeats).
    /// - Lines are trimmed of surrounding spaces, tabs and `\r`; empty lines are skipped.
    ///
    /// - Parameter readStdin: returns the whole of standard input; injectable for tests.
    public static func resolve(_ positionals: [String], readStdin: () -> String = readAllStandardInput) -> [String] {
        var stdinLines: [String]? = nil
        func lines() -> [String] {
            if let l = stdinLines { return l }
            let l = splitPathLines(readStdin())
            stdinLines = l
            return l
        }
        if positionals.isEmpty { return lines() }
        var result: [String] = []
        var usedStdin = false
        for p in positionals {
            if p == "-" {
                if !usedStdin { result += lines(); usedStdin = true }
            } else {
                result.append(p)
            }
        }
        return result
    }

    /// Splits text into paths, one a line; trims surrounding white space and skips empty lines.
    public static func splitPathLines(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).compactMap { line in
            let trimmed = line.trimmingCharacters(in: [" ", "\t", "\r"])
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    /// Reads standard input to its end. Returns "" when stdin is a terminal, so that a tool run
    /// with no arguments from a shell reports "no inputs" instead of waiting for typing.
    public static func readAllStandardInput() -> String {
        if isTerminal(0) { return "" }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: buffer[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension StringProtocol {
    /// The text without the leading and trailing characters in `set`.
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// Path helpers that do not need Foundation.
public enum PathName {
    /// The last path component: `a/b/c.tif` → `c.tif`. Trailing slashes are ignored.
    public static func fileName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }

    /// The file name without its last extension: `a/b/c.ome.tif` → `c.ome`.
    public static func stem(_ path: String) -> String {
        let name = fileName(path)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { return String(name[..<dot]) }
        return name
    }

    /// The last extension, lower-cased, without the dot: `c.TIF` → `tif`; "" when there is none.
    public static func fileExtension(_ path: String) -> String {
        let name = fileName(path)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { return String(name[name.index(after: dot)...]).lowercased() }
        return ""
    }

    /// Joins a directory and a file name with one `/`.
    public static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The file in `directory` that pairs with `path` (a prediction with its truth, an enhanced image with
    /// its raw one): `directory/NAME` where NAME is `path`'s file name, or failing that `STEM.tif`, `.tiff`
    /// or `.png`, the first for which `exists` holds; nil when none does. The rule of sn-score and sn-report.
    public static func partner(of path: String, in directory: String,
                               exists: (String) -> Bool = { access($0, F_OK) == 0 }) -> String? {
        let candidates = [fileName(path)] + ["tif", "tiff", "png"].map { stem(path) + "." + $0 }
        return candidates.map { join(directory, $0) }.first(where: exists)
    }
}

extension CommandSpec {
    /// The input paths of a tool that follows the conventions (``InputPaths/resolve(_:readStdin:)``);
    /// exits with a usage error (2) when there are none.
    public func inputsOrExit(_ arguments: ParsedArguments) -> [String] {
        let inputs = InputPaths.resolve(arguments.positionals)
        if inputs.isEmpty {
            usageExit("no input paths: give them as arguments, or one a line on stdin")
        }
        return inputs
    }
}
