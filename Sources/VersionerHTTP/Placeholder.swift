import Hummingbird
public enum PlaceholderHTTP {}
