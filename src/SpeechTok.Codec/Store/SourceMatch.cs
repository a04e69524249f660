namespace SpeechTok.Codec.Store;

/// <summary>How a sample's record in a <see cref="CodeStore"/> compares with the sample's clips now.</summary>
internal enum SourceMatch
{
    /// <summary>No record for the sample's key.</summary>
    Missing,
    /// <summary>Same paths, sizes and modification times.</summary>
    Same,
    /// <summary>Other paths or times, same bytes (a copied or moved dataset).</summary>
    Moved,
    /// <summary>Other bytes: the codes are another recording's.</summary>
    Changed,
    /// <summary>A clip is missing, so the record cannot be checked.</summary>
    Unverifiable,
}
