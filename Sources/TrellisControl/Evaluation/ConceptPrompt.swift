/// The instruction used for CommonGen, for distillation prompts and evaluation alike (the
/// HMM then models the continuations the evaluation asks for).
public enum ConceptPrompt {
    public static func instruction(concepts: [String]) -> String {
        "Write one short sentence using the words: \(concepts.joined(separator: ", "))."
    }
}
