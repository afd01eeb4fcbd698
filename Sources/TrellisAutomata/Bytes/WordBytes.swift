/// Which bytes belong to words. A keyword matches only between non-word bytes (or the text
/// ends); a word count counts maximal runs of word bytes.
///
/// Word bytes are ASCII letters, ASCII digits and every byte >= 0x80, so that the UTF-8 of
/// accented letters never splits a word ("café" is one word; "dog's" contains the word "dog").
@inline(__always)
public func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b >= 0x80
}
