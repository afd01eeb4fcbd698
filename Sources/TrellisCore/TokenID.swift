/// A token's index in a model's vocabulary. 32 bits keep tries, FM-indexes and caches compact.
public typealias TokenID = Int32
