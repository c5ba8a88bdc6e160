#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `--version` reports: SaliencyNet's release version, the git commit of the checkout the tool was
/// built in, and the model-file format version the tools read and write.
///
/// Nothing is generated at build time, so a clean clone builds as is. At run time:
/// - the version is the first line of the repository's `VERSION` file, found like the shipped models
///   (``ShippedModels``): in the executable's folder or any of its four parents (a build inside the
///   repository), or in `share/saliencynet/` beside the executable's parent (an installed layout);
/// - the commit is read from the git metadata beside that `VERSION` file (`.git` as a folder, or as a
///   `gitdir:` file in a worktree; loose and packed refs), without running git;
/// - either is `unknown` when not found.
///
/// Output, one line: `sn-segment 0.12.0 (commit 0123456789ab, model format 1)`.
public enum ToolVersion {
    /// The `format_version` of the model files this build reads and writes (NN's
    /// `ModelMetadata.currentFormatVersion`; an end-to-end test checks that they agree).
    public static let modelFormatVersion = 1

    /// The `--version` line of tool `name`.
    public static func line(tool name: String) -> String {
        let (version, commit) = release()
        return "\(name) \(version) (commit \(commit), model format \(modelFormatVersion))"
    }

    /// The release version and the abbreviated (12-digit) commit, each `unknown` when not found.
    public static func release() -> (version: String, commit: String) {
        var folder = ShippedModels.executableFolder()
        var candidates: [String] = []
        for _ in 0..<5 {
            candidates.append(folder)
            folder = ShippedModels.parent(of: folder)
        }
        if candidates.count > 1 {
            candidates.append(PathName.join(ShippedModels.parent(of: candidates[0]), "share/saliencynet"))
        }
        for root in candidates {
            guard let text = readSmallFile(PathName.join(root, "VERSION")),
                  let first = text.split(separator: "\n").first?.trimmingCharacters(in: blanks), !first.isEmpty else { continue }
            return (first, gitCommit(repository: root).map { String($0.prefix(12)) } ?? "unknown")
        }
        return ("unknown", "unknown")
    }

    /// The commit HEAD names in the git checkout at `repository`, or nil.
    public static func gitCommit(repository: String) -> String? {
        let dotGit = PathName.join(repository, ".git")
        var gitDir = dotGit
        if let pointer = readSmallFile(dotGit), pointer.hasPrefix("gitdir:") {   // a worktree or submodule
            let target = String(pointer.dropFirst("gitdir:".count)).trimmingCharacters(in: blanks)
            gitDir = target.hasPrefix("/") ? target : PathName.join(repository, target)
        }
        guard let head = readSmallFile(PathName.join(gitDir, "HEAD"))?.trimmingCharacters(in: blanks) else { return nil }
        guard head.hasPrefix("ref:") else { return isCommit(head) ? head : nil }
        let ref = String(head.dropFirst("ref:".count)).trimmingCharacters(in: blanks)
        // A worktree keeps its HEAD in its own folder and the refs in the common one.
        var dirs = [gitDir]
        if let common = readSmallFile(PathName.join(gitDir, "commondir"))?.trimmingCharacters(in: blanks), !common.isEmpty {
            dirs.append(common.hasPrefix("/") ? common : PathName.join(gitDir, common))
        }
        for dir in dirs {
            if let loose = readSmallFile(PathName.join(dir, ref))?.trimmingCharacters(in: blanks), isCommit(loose) { return loose }
        }
        for dir in dirs {
            guard let packed = readSmallFile(PathName.join(dir, "packed-refs"), limit: 1 << 24) else { continue }
            for line in packed.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[1] == ref, isCommit(String(fields[0])) { return String(fields[0]) }
            }
        }
        return nil
    }

    static let blanks: Set<Character> = [" ", "\t", "\r", "\n"]

    static func isCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy { $0.isHexDigit }
    }

    /// The contents of a regular file of at most `limit` bytes, or nil.
    static func readSmallFile(_ path: String, limit: Int = 1 << 16) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var status = stat()
        guard fstat(fileno(file), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, Int(status.st_size) <= limit else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        let n = bytes.isEmpty ? 0 : fread(&bytes, 1, bytes.count, file)
        return String(decoding: bytes[0..<n], as: UTF8.self)
    }
}
