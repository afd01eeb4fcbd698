/// How a passage is written as model text before tokenization, so the n-grams the model generates
/// after a prompt ending in ":" line up with the indexed tokens.
///
/// Convention: a leading space, the title, a space, the text (`" " + title + " " + text`; just
/// `" " + text` without a title). With GPT-2-style byte-level BPE (SmolLM2), every word then carries
/// its leading space (" word"), which is what a model writes mid-sentence — including the first
/// word after the prompt "…Relevant passage text:". Without the leading space a passage's first
/// word would get a different token than the same word generated after the prompt.
public enum PassageText {
    public static func modelText(title: String, text: String) -> String {
        title.isEmpty ? " " + text : " " + title + " " + text
    }
}
