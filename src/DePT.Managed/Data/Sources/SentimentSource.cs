namespace DePT.Data.Sources;

/// <summary>The site a UCI sentiment sentence was taken from; each is one fixture file of the package.</summary>
public enum SentimentSource
{
    /// <summary>IMDb movie reviews (imdb.json).</summary>
    Imdb,

    /// <summary>Yelp restaurant reviews (yelp.json).</summary>
    Yelp,

    /// <summary>Amazon product reviews (amazon.json).</summary>
    Amazon,
}
