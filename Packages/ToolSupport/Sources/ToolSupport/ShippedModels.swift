#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the model files that ship with SaliencyNet (the repository's `Models/` folder), for tools whose
/// `--model` is optional.
///
/// Search order, first existing file wins:
/// 1. `$SALIENCYNET_MODELS/NAME`;
/// 2. `Models/NAME` in the executable's folder or any of its four parents (a build inside the repository:
///    `.build/<triple>/release/sn-segment` → `Models/`);
/// 3. `share/saliencynet/models/NAME` beside the executable's parent (an installed layout: `bin/`, `share/`).
public enum ShippedModels {
    /// The folders searched, in order, for display in error messages.
    public static func searchFolders() -> [String] {
        var folders: [String] = []
        if let env = getenv("SALIENCYNET_MODELS") { folders.append(String(cString: env)) }
        var dir = executableFolder()
        var parents: [String] = []
        for _ in 0..<5 {
            parents.append(dir)
            folders.append(PathName.join(dir, "Models"))
            dir = parent(of: dir)
        }
        if parents.count > 1 { folders.append(PathName.join(parents[1], "share/saliencynet/models")) }
        return folders
    }

    /// The path of the shipped model `name`, or nil when none of ``searchFolders()`` holds it.
    public static func locate(_ name: String) -> String? {
        for folder in searchFolders() {
            let path = PathName.join(folder, name)
            if access(path, R_OK) == 0 { return path }
        }
        return nil
    }

    /// The folder of the running executable (from `/proc/self/exe`, symlinks resolved; else argv[0]).
    static func executableFolder() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return parent(of: path)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
