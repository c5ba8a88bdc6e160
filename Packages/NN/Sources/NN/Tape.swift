import TensorCore

/// A trainable tensor: a named value and the gradient accumulated into it by
/// ``Tape/backward(from:seed:)``.
///
/// `Parameter` is a reference type so that a layer (a plain struct) can list its parameters
/// explicitly (`var parameters: [Parameter] { [weight, bias] }`) and an optimizer can update
/// them in place. Copying a layer therefore shares its parameters; use ``copy()`` for an
/// independent copy.
///
/// Gradients **accumulate**: every backward pass adds (`+=`) into ``gradient``; call
/// ``zeroGradient()`` (or ``Parameter/zeroGradients(_:)``) before the next step.
public final class Parameter: CustomStringConvertible {
    /// The name under which the parameter is saved (e.g. `"G.res3.conv1.weight"`). It is a
    /// label for checkpoints and messages only; nothing is looked up by name.
    public let name: String
    /// The current value (e.g. `[Cout, Cin, kH, kW]` for a convolution weight).
    public var value: Tensor
    /// `∂L/∂value` accumulated over backward passes since the last ``zeroGradient()``; same shape as `value`.
    public var gradient: Tensor

    /// Creates a parameter with a zero gradient.
    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.gradient = Tensor.zeros(value.shape)
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// Sets ``gradient`` to zeros of the value's shape (in place when its storage is not shared,
    /// so repeated training steps do not allocate and page-fault fresh gradient buffers).
    public func zeroGradient() {
        if gradient.shape == value.shape {
            gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else {
            gradient = Tensor.zeros(value.shape)
        }
    }

    /// Zeroes the gradients of all `parameters`.
    public static func zeroGradients(_ parameters: [Parameter]) {
        for p in parameters { p.zeroGradient() }
    }

    /// An independent parameter with the same name, value and gradient.
    public func copy() -> Parameter {
        let p = Parameter(name: name, value: value)
        p.gradient = gradient
        return p
    }

    /// `"name [shape]"`.
    public var description: String { "\(name) \(value.shape)" }
}

/// A tensor flowing through a computation, optionally recorded on a ``Tape``.
///
/// A variable is **tracked** when a gradient can flow back through it to a differentiable
/// parameter (``requiresGradient``). Ops on variables return tracked results only if one of
/// their inputs is tracked; otherwise nothing is recorded (inference pays no tape cost).
/// A variable remembers its tape even when untracked (e.g. an input, or a ``detached()``
/// value), so that layers applied to it still enter their parameters on that tape.
public struct Variable {
    /// The value (e.g. an NCHW batch `[N, C, H, W]`).
    public let value: Tensor
    /// The tape the variable belongs to, or nil (pure inference).
    public let tape: Tape?
    /// Index of the node that produced it on the tape, or −1 when no gradient flows through it.
    @usableFromInline let node: Int

    /// A constant that belongs to no tape (inference, or a fixed target).
    public init(_ value: Tensor) {
        self.value = value
        self.tape = nil
        self.node = -1
    }

    init(value: Tensor, tape: Tape?, node: Int) {
        self.value = value
        self.tape = tape
        self.node = node
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// Whether a gradient flows back through this variable.
    public var requiresGradient: Bool { node >= 0 }

    /// The same value with the gradient cut (stop-gradient): nothing recorded before this
    /// point receives a gradient through the result. The tape is kept, so parameters of layers
    /// applied afterwards are still differentiated (e.g. the discriminator on `fake.detached()`).
    public func detached() -> Variable { Variable(value: value, tape: tape, node: -1) }

    /// Records an op: `value = f(inputs)` with `backward(∂L/∂value, needs)` returning
    /// `∂L/∂inputs[i]` for every input `i` with `needs[i]` (others may be nil). When no input is
    /// tracked nothing is recorded and the result is untracked.
    ///
    /// The backward closure must return, for each needed input, a tensor of that input's shape.
    public static func record(
        _ value: Tensor, inputs: [Variable], backward: @escaping (_ gradient: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) -> Variable {
        var tape: Tape? = nil
        var tracked = false
        for v in inputs {
            if let t = v.tape {
                if let existing = tape {
                    precondition(existing === t, "record: inputs belong to different tapes")
                } else {
                    tape = t
                }
                if v.node >= 0 { tracked = true }
            }
        }
        guard let tape, tracked else { return Variable(value: value, tape: tape, node: -1) }
        let index = tape.append(
            Tape.Node(inputs: inputs.map(\.node), shape: value.shape, backward: backward, parameter: nil))
        return Variable(value: value, tape: tape, node: index)
    }

    /// The variable for `parameter` on the tape of the first input that has one (a constant
    /// when there is none): how layers enter their weights.
    public static func lift(_ parameter: Parameter, alongside inputs: Variable...) -> Variable {
        for v in inputs {
            if let t = v.tape { return t.parameter(parameter) }
        }
        return Variable(parameter.value)
    }
}

/// A recording of differentiable ops for one reverse-mode pass (a "Wengert list").
///
/// Use one tape per gradient computation:
/// ```swift
/// let tape = Tape(differentiating: generator.parameters)  // only these get gradients
/// let fake = generator(tape.input(x))                       // ops are recorded
/// let loss = mseLoss(discriminator(fake), Variable(ones))    // D's weights: constants here
/// tape.backward(from: loss)                                  // += into G's gradients; tape freed
/// ```
/// Each node stores the indices of its inputs and a backward closure (capturing the tensors it
/// needs). ``backward(from:seed:)`` walks the nodes in reverse, accumulating `∂L/∂node`, adds
/// the result into each differentiable ``Parameter/gradient`` (`+=`), frees each node's
/// gradient once used, and finally frees the whole tape; a tape can be used for one backward
/// pass only.
///
/// Parameters outside `differentiating` (when given) enter as constants, so no weight gradient
/// is computed for them and nothing is accumulated; gradients still flow through their ops
/// towards differentiable parameters recorded earlier.
public final class Tape {
    /// One recorded op.
    struct Node {
        /// Input node indices (−1 for untracked inputs), aligned with the op's inputs.
        var inputs: [Int]
        /// Shape of the op's output.
        var shape: [Int]
        /// `(∂L/∂out, needs) → ∂L/∂inputs`; nil for a parameter leaf.
        var backward: ((Tensor, [Bool]) -> [Tensor?])?
        /// The parameter of a leaf node.
        var parameter: Parameter?
    }

    private(set) var nodes: [Node] = []
    private let differentiable: Set<ObjectIdentifier>?
    private var consumed = false

    /// Creates an empty tape. `parameters`: the only parameters that receive gradients
    /// (nil: every parameter entered on this tape).
    public init(differentiating parameters: [Parameter]? = nil) {
        differentiable = parameters.map { Set($0.map(ObjectIdentifier.init)) }
    }

    /// Number of recorded nodes (parameter leaves included).
    public var count: Int { nodes.count }

    func append(_ node: Node) -> Int {
        precondition(!consumed, "Tape: cannot record on a tape after backward(from:)")
        nodes.append(node)
        return nodes.count - 1
    }

    /// A constant on this tape (no gradient, e.g. an input image batch).
    public func input(_ value: Tensor) -> Variable { Variable(value: value, tape: self, node: -1) }

    /// The variable for `parameter`: a tracked leaf if it is differentiable on this tape,
    /// otherwise a constant on this tape.
    public func parameter(_ parameter: Parameter) -> Variable {
        if let differentiable, !differentiable.contains(ObjectIdentifier(parameter)) {
            return Variable(value: parameter.value, tape: self, node: -1)
        }
        let index = append(Node(inputs: [], shape: parameter.shape, backward: nil, parameter: parameter))
        return Variable(value: parameter.value, tape: self, node: index)
    }

    /// Reverse pass from `loss`: adds `∂(seed·loss)/∂p` into `p.gradient` for every
    /// differentiable parameter `p` that `loss` depends on, then frees the tape.
    ///
    /// - Parameters:
    ///   - loss: a variable recorded on this tape (usually a scalar).
    ///   - seed: `∂L/∂loss`, of `loss`'s shape; default: ones (for a scalar loss, `dL/dL = 1`).
    public func backward(from loss: Variable, seed: Tensor? = nil) {
        precondition(!consumed, "Tape.backward: this tape was already used for a backward pass")
        consumed = true
        defer { nodes = [] }
        guard loss.node >= 0 else { return }
        precondition(loss.tape === self, "Tape.backward: the loss was recorded on another tape")
        let start = seed ?? Tensor.ones(loss.shape)
        precondition(start.shape == loss.shape, "Tape.backward: seed shape \(start.shape) != loss shape \(loss.shape)")
        var gradients = [Tensor?](repeating: nil, count: loss.node + 1)
        gradients[loss.node] = start
        for i in stride(from: loss.node, through: 0, by: -1) {
            guard let g = gradients[i] else { continue }
            gradients[i] = nil
            let node = nodes[i]
            nodes[i].backward = nil  // free captured tensors as we go
            if let p = node.parameter {
                p.gradient += g
                continue
            }
            guard let backward = node.backward else { continue }
            let needs = node.inputs.map { $0 >= 0 }
            let inputGradients = backward(g, needs)
            precondition(inputGradients.count == node.inputs.count, "Tape.backward: op returned \(inputGradients.count) gradients for \(node.inputs.count) inputs")
            for (j, input) in node.inputs.enumerated() where input >= 0 {
                guard let gj = inputGradients[j] else {
                    preconditionFailure("Tape.backward: op returned no gradient for a tracked input")
                }
                precondition(gj.shape == nodes[input].shape, "Tape.backward: gradient shape \(gj.shape) for input of shape \(nodes[input].shape)")
                if gradients[input] == nil {
                    gradients[input] = gj
                } else {
                    gradients[input]! += gj
                }
            }
        }
    }
}
