// sn-model: show a model file's metadata, or write a copy with one metadata entry set.
import NN
import ToolSupport

var spec = CommandSpec(
    name: "sn-model",
    summary: "Print the metadata of SaliencyNet model files (.safetensors), or copy them with one entry set.",
    positionalUsage: "[MODEL ...]",
    discussion: """
    INPUTS: model files (.safetensors: sn-train, sn-train-star, the shipped Models/) as arguments; with
    none, or with '-', one path a line is read from stdin.

    Without --set: prints a TSV table on stdout, one row per metadata entry of each file:
      file  key  value
    (keys as stored: format_version, architecture, hparams.*, normalization.*, training.*), and the tensors'
    count and parameters as the rows 'tensors' and 'parameters'.

    With --set KEY=VALUE --out DIR: writes DIR/NAME with the same tensors and that entry added or
    replaced (the rest unchanged), atomically, and prints the written path. Use it to record facts a
    file lacks, e.g. the nucleus diameter of a model trained before files recorded it:
      sn-model --set training.nucleus_diameter=11.8 --out fixed old.safetensors
    format_version and architecture cannot be set; training.nucleus_diameter must be a number of pixels.

    EXIT STATUS: 0 all files read (or written), 1 some failed (reported on stderr), 2 usage error.
    """)
let setKey = spec.optionalOption("set", as: String.self, help: "KEY=VALUE to add or replace (with --out).")
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder for --set (created if missing).")

let args = spec.parseOrExit()
var assignment: (key: String, value: String)? = nil
if let text = args[setKey] {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { spec.usageExit("--set takes KEY=VALUE, got '\(text)'") }
    let key = String(text[..<eq]), value = String(text[text.index(after: eq)...])
    guard key != "format_version" && key != "architecture" else { spec.usageExit("--set cannot change \(key)") }
    guard ["hparams.", "normalization.", "training."].contains(where: key.hasPrefix) else {
        spec.usageExit("--set KEY must start with hparams., normalization. or training., got '\(key)'")
    }
    if key == "training." + ModelMetadata.nucleusDiameterKey {
        guard let d = Double(value), d.isFinite, d > 0, d <= 10000 else {
            spec.usageExit("--set \(key) must be a diameter in pixels (0, 10000], got '\(value)'")
        }
    }
    guard args[outKey] != nil else { spec.usageExit("--set needs --out DIR") }
    assignment = (key, value)
} else if args[outKey] != nil {
    spec.usageExit("--out goes with --set")
}
let inputs = spec.inputsOrExit(args)
var output: OutputDirectory? = args[outKey].map { spec.outputDirectoryOrExit($0) }

if assignment == nil { writeStdout("file\tkey\tvalue\n") }
var batch = Batch(tool: spec.name)
for input in inputs {
    batch.process(input) {
        var file = try SafeTensorsFile.read(from: input)
        _ = try ModelMetadata(flattened: file.metadata, path: input)
        if let (key, value) = assignment {
            file.metadata[key] = value
            let destination = try output!.destination(for: input)
            try file.write(to: destination)
            return [destination]
        }
        var rows = file.metadata.keys.sorted().map { "\(input)\t\($0)\t\(file.metadata[$0]!)" }
        rows.append("\(input)\ttensors\t\(file.tensors.count)")
        rows.append("\(input)\tparameters\t\(file.tensors.values.reduce(0) { $0 + $1.count })")
        return rows
    }
}
batch.exit()
